package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Request body limits. A manifest is a list of layers with their URLs and
// headers: kilobytes, even for images of hundreds of layers with long
// signed URLs. A bulk delete lists digests. An affected_manifest request
// carries up to a thousand vulnerabilities, descriptions included.
const (
	maxManifestBody = 8 << 20
	maxDeleteBody   = 32 << 20
	maxAffectedBody = 256 << 20
)

// decodeBody decodes r's JSON body into v, reading at most limit bytes.
// On failure it answers the request, 413 for a body over the limit and
// 400 otherwise, what naming the body, and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, what string, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit)).Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		apiError(w, r, http.StatusRequestEntityTooLarge, "failed to deserialize %s: %s", what, bodyLimitText(tooBig.Limit))
	default:
		apiError(w, r, http.StatusBadRequest, "failed to deserialize %s: %v", what, err)
	}
	return false
}

func bodyLimitText(limit int64) string {
	return fmt.Sprintf("request body larger than %d MiB", limit>>20)
}

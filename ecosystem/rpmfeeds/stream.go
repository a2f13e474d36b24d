package rpmfeeds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// EachRecord reads a stream of JSON values, each a record (an object), a
// list of records, or a page: an object whose member listKey is a list of
// records (its other members are dropped). It calls each with every
// record, in order, one at a time, so that a feed of any size is never
// all in memory, and a record that does not decode can be skipped
// alone. A stream that is not JSON of that shape is an error.
func EachRecord(ctx context.Context, r io.Reader, listKey string, each func(json.RawMessage)) error {
	dec := json.NewDecoder(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := EachRecordOf(ctx, dec, tok, nil, listKey, each); err != nil {
			return err
		}
	}
}

// EachRecordOf reads one value of EachRecord's stream whose first token
// dec has read and, when key is not nil, whose first member's key it has
// read too.
func EachRecordOf(ctx context.Context, dec *json.Decoder, first json.Token, key *string, listKey string, each func(json.RawMessage)) error {
	switch first {
	case json.Delim('['):
		return eachInList(ctx, dec, each)
	case json.Delim('{'):
	default:
		return fmt.Errorf("want a record, a list or a page, have %v", first)
	}
	var obj bytes.Buffer // the object's members, but a page's records
	obj.WriteByte('{')
	page := false
	for key != nil || dec.More() {
		var k string
		if key != nil {
			k, key = *key, nil
		} else {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ = tok.(string)
		}
		if k == listKey {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			switch tok {
			case json.Delim('['):
				if err := eachInList(ctx, dec, each); err != nil {
					return err
				}
			case nil:
			default:
				return fmt.Errorf("%s: want a list, have %v", listKey, tok)
			}
			page = true
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if page {
			continue
		}
		if obj.Len() > 1 {
			obj.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		obj.Write(kb)
		obj.WriteByte(':')
		obj.Write(raw)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	if !page {
		obj.WriteByte('}')
		each(obj.Bytes())
	}
	return nil
}

// eachInList reads the records of a list whose '[' dec has read.
func eachInList(ctx context.Context, dec *json.Decoder, each func(json.RawMessage)) error {
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		each(raw)
	}
	_, err := dec.Token() // ']'
	return err
}

// Text is a JSON string that a feed may also write as a number (an
// epoch, "0" or 0) or null ("").
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (s *Text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Text(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = Text(n)
	}
	return nil
}

package loupe

// Notification reasons: why a manifest is in a notification.
const (
	ReasonAdded   = "added"
	ReasonRemoved = "removed"
)

// Notification says that a vulnerability now affects, or no longer
// affects, an indexed manifest.
type Notification struct {
	// ID is unique to this notification, and the key pages are cut by.
	ID            string      `json:"id"`
	Manifest      Digest      `json:"manifest"`
	Reason        string      `json:"reason"`
	Vulnerability VulnSummary `json:"vulnerability"`
}

// VulnSummary is the vulnerability of a Notification. Its Severity holds
// the normalized severity's name, as Clair's does; NormalizedSeverity,
// which Quay reads and Clair leaves out, holds it too.
type VulnSummary struct {
	Name               string        `json:"name"`
	Description        string        `json:"description"`
	Package            *Package      `json:"package,omitempty"`
	Distribution       *Distribution `json:"distribution,omitempty"`
	Repo               *Repository   `json:"repo,omitempty"`
	Severity           string        `json:"severity"`
	NormalizedSeverity Severity      `json:"normalized_severity"`
	FixedInVersion     string        `json:"fixed_in_version"`
	Links              string        `json:"links"`
}

// Summarize returns the summary of v that notifications carry.
func Summarize(v *Vulnerability) VulnSummary {
	return VulnSummary{
		Name:               v.Name,
		Description:        v.Description,
		Package:            v.Package,
		Distribution:       v.Dist,
		Repo:               v.Repo,
		Severity:           v.NormalizedSeverity.String(),
		NormalizedSeverity: v.NormalizedSeverity,
		FixedInVersion:     v.FixedInVersion,
		Links:              v.Links,
	}
}

// NotificationPage is one page of a notification set.
type NotificationPage struct {
	Page          Page           `json:"page"`
	Notifications []Notification `json:"notifications"`
}

// Page describes a page: Size is the size asked for (as Clair echoes
// it), Next the ID to ask the next page from, absent on the last page.
type Page struct {
	Next string `json:"next,omitempty"`
	Size int    `json:"size"`
}

// Callback is what a webhook receives, and what AMQP and STOMP deliver
// when not in direct mode: where to page the notification set from.
type Callback struct {
	NotificationID string `json:"notification_id"`
	Callback       string `json:"callback"`
}

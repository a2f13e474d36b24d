// Package ubuntu recognises Ubuntu releases in image layers, from
// etc/lsb-release or os-release, and reports them as Clair does
// (version "22.04 (Jammy)", pretty name "Ubuntu 22.04"). Ubuntu packages
// are dpkg packages, read by package debian's scanner; Ubuntu's own
// vulnerability feed and matcher are not part of Loupe yet.
package ubuntu

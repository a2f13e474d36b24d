package all

import (
	"github.com/loupe-dev/loupe/ecosystem/alma"
	"github.com/loupe-dev/loupe/ecosystem/alpine"
	"github.com/loupe-dev/loupe/ecosystem/amazon"
	"github.com/loupe-dev/loupe/ecosystem/debian"
	"github.com/loupe-dev/loupe/ecosystem/fedora"
	"github.com/loupe-dev/loupe/ecosystem/mariner"
	"github.com/loupe-dev/loupe/ecosystem/oracle"
	"github.com/loupe-dev/loupe/ecosystem/photon"
	"github.com/loupe-dev/loupe/ecosystem/rhel"
	"github.com/loupe-dev/loupe/ecosystem/rocky"
	"github.com/loupe-dev/loupe/ecosystem/rpm"
	"github.com/loupe-dev/loupe/ecosystem/suse"
	"github.com/loupe-dev/loupe/ecosystem/ubuntu"
	"github.com/loupe-dev/loupe/ecosystem/wolfi"
	"github.com/loupe-dev/loupe/indexer"
	"github.com/loupe-dev/loupe/matcher"
	"github.com/loupe-dev/loupe/updater"
)

// Scanners returns every layer scanner, in the order they run.
func Scanners() []indexer.Scanner {
	return []indexer.Scanner{
		debian.PackageScanner{},
		rpm.PackageScanner{},
		alpine.PackageScanner{},
		debian.DistributionScanner{},
		ubuntu.DistributionScanner{},
		alpine.DistributionScanner{},
		wolfi.DistributionScanner{},
		rhel.DistributionScanner{},
		rhel.CentOSScanner{},
		rhel.RepositoryScanner{},
		rhel.ContainerScanner{},
		rhel.ContainerDetector{},
		rocky.DistributionScanner{},
		alma.DistributionScanner{},
		fedora.DistributionScanner{},
		amazon.DistributionScanner{},
		oracle.DistributionScanner{},
		suse.DistributionScanner{},
		photon.DistributionScanner{},
		mariner.DistributionScanner{},
	}
}

// Matchers returns every matcher's rules.
func Matchers() []matcher.Rules {
	return []matcher.Rules{
		debian.Matcher{},
		ubuntu.Matcher{},
		alpine.Matcher{},
		wolfi.WolfiMatcher(),
		wolfi.ChainguardMatcher(),
		rhel.Matcher{},
		rhel.ContainerMatcher{},
		rocky.Matcher(),
		alma.Matcher(),
		fedora.Matcher(),
		amazon.Matcher(),
		oracle.Matcher{},
		suse.Matcher{},
		photon.Matcher{},
		mariner.Matcher{},
	}
}

// UpdaterSets returns every updater set, unconfigured.
func UpdaterSets() []updater.Set {
	return []updater.Set{
		debian.UpdaterSet(),
		ubuntu.UpdaterSet(),
		alpine.UpdaterSet(),
		wolfi.WolfiSet(),
		wolfi.ChainguardSet(),
		rhel.UpdaterSet(),
		rocky.UpdaterSet(),
		alma.UpdaterSet(),
		fedora.UpdaterSet(),
		amazon.UpdaterSet(),
		oracle.UpdaterSet(),
		suse.UpdaterSet(),
		photon.UpdaterSet(),
		mariner.UpdaterSet(),
	}
}

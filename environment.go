package loupe

// Environment says where and in what context a package was found.
type Environment struct {
	// PackageDB is the database the package was read from.
	PackageDB string `json:"package_db"`
	// IntroducedIn is the digest of the layer that added the package.
	IntroducedIn Digest `json:"introduced_in"`
	// DistributionID refers to the report's distributions; "" if none.
	DistributionID string `json:"distribution_id"`
	// RepositoryIDs refer to the report's repositories; null if none.
	RepositoryIDs []string `json:"repository_ids"`
}

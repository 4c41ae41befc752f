package store

// Source says where a stored row comes from.
type Source string

const (
	SourceReference Source = "REFERENCE" // verified public reference data
	SourceReview    Source = "REVIEW"    // a fact of the 21/12/2023 review or a verified document
	SourceDemo      Source = "DEMO"      // made-up demo data
	SourceUser      Source = "USER"      // entered through the API
	SourceProposal  Source = "PROPOSAL"  // a working arrangement proposed by the team, not an official list
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	switch s {
	case SourceReference, SourceReview, SourceDemo, SourceUser, SourceProposal:
		return true
	}
	return false
}

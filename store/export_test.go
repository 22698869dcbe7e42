package store

// Test-only views of the store's internals, for store_test.

// Key returns the full name of the desk's key with suffix.
func (s *Store) Key(suffix string) string { return s.keys.base + suffix }

// CreateScript and ClaimNextScript are the sources of create.lua and
// claim_next.lua.
func CreateScript() string    { return createSource }
func ClaimNextScript() string { return claimNextSource }

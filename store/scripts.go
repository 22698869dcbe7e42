package store

// CreateScript and ClaimNextScript are the sources of the scripts behind
// Store.Create and Store.ClaimNext, for `ticketbot bench -compare`, which
// runs exactly this Redis work under redis-benchmark. Their KEYS and ARGV
// are documented in their headers (create.lua, claim_next.lua).
func CreateScript() string { return createSource }

// ClaimNextScript: see CreateScript.
func ClaimNextScript() string { return claimNextSource }

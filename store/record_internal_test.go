package store

import (
	"reflect"
	"testing"
)

// TestClaimPatchNamesRecordFields: every field claim_next.lua sets is a
// field of record, under the same JSON name, so that renaming a record
// field cannot leave the claim writing a stale one.
func TestClaimPatchNamesRecordFields(t *testing.T) {
	names := map[string]bool{}
	rt := reflect.TypeOf(record{})
	for i := range rt.NumField() {
		names[jsonName(rt.Field(i).Tag.Get("json"))] = true
	}
	pt := reflect.TypeOf(claimPatch{})
	for i := range pt.NumField() {
		if n := jsonName(pt.Field(i).Tag.Get("json")); !names[n] {
			t.Errorf("claimPatch sets %q, which record does not have", n)
		}
	}
	if got := openRequestNeedle("r1"); got != `"oq":"r1"` {
		t.Errorf("openRequestNeedle = %s", got)
	}
}

func jsonName(tag string) string {
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

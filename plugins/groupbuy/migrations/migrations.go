// Package migrations holds the group-buying plugin's database schema:
// numbered, forward-only SQL files, one history per dialect (pg/ and
// sqlite/), embedded in the binary.
package migrations

import "embed"

// FS holds pg/*.sql and sqlite/*.sql.
//
//go:embed pg/*.sql sqlite/*.sql
var FS embed.FS

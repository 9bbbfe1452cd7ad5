package requestlog

import (
	"database/sql"
	"fmt"
)

// The schema's versions: migrations()[i] turns a database of version i
// (SQLite's user_version) into one of version i+1. A database made before
// versions were counted has version 0 and the requests table already, which
// is why the first step only creates what is missing. Add a step to change
// the schema; never edit one that has shipped.
const (
	// schemaV1 is the request log.
	schemaV1 = `CREATE TABLE IF NOT EXISTS requests (
		seq        INTEGER PRIMARY KEY AUTOINCREMENT,
		id         TEXT NOT NULL,
		time       TEXT NOT NULL,
		api        TEXT NOT NULL,
		model      TEXT NOT NULL,
		system     TEXT NOT NULL,
		prompt     TEXT NOT NULL,
		text       TEXT NOT NULL,
		finish     TEXT NOT NULL,
		usage      TEXT NOT NULL,
		metrics    TEXT NOT NULL,
		partial    INTEGER NOT NULL,
		error_kind TEXT NOT NULL,
		error      TEXT NOT NULL
	);
	CREATE INDEX IF NOT EXISTS requests_id ON requests(id);`

	// schemaV2 adds Responses API conversations, for previous_response_id.
	// A row holds one turn: the messages after those of the turn named by
	// previous ('' when messages are the whole conversation), as a JSON
	// array of sluice.Message.
	schemaV2 = `CREATE TABLE IF NOT EXISTS conversations (
		response_id TEXT PRIMARY KEY,
		previous    TEXT NOT NULL,
		time        TEXT NOT NULL,
		system      TEXT NOT NULL,
		messages    TEXT NOT NULL
	);`

	// schemaVersion is the version this package writes: len(migrations()).
	schemaVersion = 2
)

// migrations returns the schema's steps, in order.
func migrations() []string { return []string{schemaV1, schemaV2} }

// migrate brings db to schemaVersion, one step per transaction, so a step
// that fails leaves the database at the version before it. Every step is
// idempotent (IF NOT EXISTS), so two processes upgrading the same file at
// once both succeed.
func migrate(db *sql.DB) error {
	for {
		done, err := migrateStep(db)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next step, and reports whether there was none.
func migrateStep(db *sql.DB) (bool, error) {
	tx, err := db.Begin()
	if err != nil {
		return false, fmt.Errorf("upgrade the schema: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return false, fmt.Errorf("read the schema version: %w", err)
	}
	switch {
	case v == schemaVersion:
		return true, nil
	case v > schemaVersion:
		return false, fmt.Errorf("the database has schema version %d, newer than this sluice's %d; upgrade sluice, or pass another --db", v, schemaVersion)
	}
	if _, err := tx.Exec(migrations()[v]); err != nil {
		return false, fmt.Errorf("upgrade the schema to version %d: %w", v+1, err)
	}
	// PRAGMA takes no parameters; v is an int.
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
		return false, fmt.Errorf("upgrade the schema to version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("upgrade the schema to version %d: %w", v+1, err)
	}
	return false, nil
}

//go:build !race

package server

// raceEnabled reports a -race build, whose instrumentation makes stack
// frames larger than those of the build users run.
const raceEnabled = false

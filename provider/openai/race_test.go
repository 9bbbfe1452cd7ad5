//go:build race

package openai

// raceEnabled is true when the race detector is on, which changes
// allocation counts.
const raceEnabled = true

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runTokensCmd runs "sluice tokens args..." in-process with stdin and
// returns the exit code, stdout and stderr.
func runTokensCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &App{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut}
	code := app.Run(context.Background(), append([]string{"tokens"}, args...))
	return code, out.String(), errOut.String()
}

func TestTokensCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte("Hello, world!"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		out, inErr string // inErr: a substring stderr must contain
	}{
		{"count stdin", "Hello, world!", nil, 0, "4\n", ""},
		{"empty stdin", "", nil, 0, "0\n", ""},
		{"ids", "Hello, world!", []string{"--ids"}, 0, "[9906,11,1917,0]\n", ""},
		{"no ids", "", []string{"--ids"}, 0, "[]\n", ""},
		{"encoding", "Hello, world!", []string{"--encoding", "r50k_base", "--ids"}, 0, "[15496,11,995,0]\n", ""},
		{"file", "ignored", []string{file}, 0, "4\n", ""},
		{"dash is stdin", "Hello", []string{"-"}, 0, "1\n", ""},
		{"model: CR/LF run is one token", "\r\n\t\r\n", []string{"--model", "gpt-4o", "--ids"}, 0, "[117033]\n", ""},
		{"unknown model notes it", "Hello", []string{"--model", "llama3.2"}, 0, "1\n", "cl100k_base"},
		{"special", "<|endoftext|>", []string{"--special", "--ids"}, 0, "[100257]\n", ""},
		{"unknown encoding", "", []string{"--encoding", "cl200k"}, 2, "", "known encodings: r50k_base, p50k_base, cl100k_base, o200k_base"},
		{"both flags", "", []string{"--encoding", "o200k_base", "--model", "gpt-4o"}, 2, "", "not both"},
		{"two files", "", []string{"a", "b"}, 2, "", "one FILE"},
		{"missing file", "", []string{filepath.Join(t.TempDir(), "nope")}, 1, "", "no such file"},
		{"help", "", []string{"-h"}, 0, "", "--model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runTokensCmd(t, tt.stdin, tt.args...)
			if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.inErr) {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr containing %q",
					code, out, errOut, tt.code, tt.out, tt.inErr)
			}
		})
	}
}

// TestTokensCommandLargeInput counts more than one read's worth of input,
// so the streaming count is checked across chunk boundaries.
func TestTokensCommandLargeInput(t *testing.T) {
	text := strings.Repeat("The quick brown fox, 日本語のテキスト\r\n\t", 9000)
	_, ids, _ := runTokensCmd(t, text, "--ids")
	want := strings.Count(ids, ",") + 1
	code, out, errOut := runTokensCmd(t, text)
	if code != 0 || strings.TrimSpace(out) != strconv.Itoa(want) {
		t.Fatalf("count %q (stderr %q), want %d ids", out, errOut, want)
	}
}

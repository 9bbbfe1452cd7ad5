package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/tokens"
)

// defaultEncoding is what sluice tokens counts with when given neither
// --encoding nor --model: the same fallback tokens.ForModel uses for a
// model it does not know.
const defaultEncoding = "cl100k_base"

// runTokens counts the tokens of a file or of stdin exactly as tiktoken
// does, or prints the ids with --ids.
func runTokens(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("tokens", "tokens [--encoding E | --model M] [--ids] [--special] [FILE]\n\n"+
		"Counts the tokens of FILE, or of stdin when FILE is absent or -.")
	encName := fs.String("encoding", "", "encoding: "+strings.Join(tokens.Names(), ", ")+" (default "+defaultEncoding+")")
	model := fs.String("model", "", "use the encoding of this OpenAI model, e.g. gpt-4o")
	printIDs := fs.Bool("ids", false, "print the token ids as a JSON array instead of the count")
	special := fs.Bool("special", false, "encode special tokens such as <|endoftext|> as one id instead of as text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	usage := func(err error) error { return &exitError{code: 2, err: err} }
	if *encName != "" && *model != "" {
		return usage(errors.New("give --encoding or --model, not both"))
	}
	if fs.NArg() > 1 {
		return usage(fmt.Errorf("one FILE at most, got %d arguments", fs.NArg()))
	}

	var enc *tokens.Encoding
	switch {
	case *model != "":
		var exact bool
		enc, exact = tokens.ForModel(*model)
		if !exact {
			fmt.Fprintf(a.Stderr, "sluice tokens: note: model %q is not an OpenAI model I know; counting with %s, so the count is an estimate\n",
				*model, enc.Name())
		}
	default:
		name := *encName
		if name == "" {
			name = defaultEncoding
		}
		var err error
		if enc, err = tokens.Get(name); err != nil {
			return usage(fmt.Errorf("unknown encoding %q; known encodings: %s", name, strings.Join(tokens.Names(), ", ")))
		}
	}
	if *special {
		enc = enc.WithSpecialTokens()
	}

	in := a.Stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}

	w := bufio.NewWriter(a.Stdout)
	if *printIDs {
		text, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		ids := enc.Encode(string(text))
		buf := w.AvailableBuffer()
		buf = append(buf, '[')
		for i, id := range ids {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(id), 10)
			if len(buf) > 4096 {
				w.Write(buf)
				buf = w.AvailableBuffer()
			}
		}
		buf = append(buf, "]\n"...)
		w.Write(buf)
		return w.Flush()
	}

	// Counting streams the input through a Counter, so a large file is
	// never held in memory whole.
	c := enc.NewCounter()
	chunk := make([]byte, 64<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := in.Read(chunk)
		c.Add(string(chunk[:n]))
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(w, c.Count())
	return w.Flush()
}

package tokens_test

import (
	"fmt"

	"github.com/sluicehq/sluice/tokens"
)

func ExampleEncoding_Encode() {
	enc, err := tokens.Get("cl100k_base")
	if err != nil {
		panic(err)
	}
	ids := enc.Encode("Hello, world!")
	text, _ := enc.Decode(ids)
	fmt.Println(ids, enc.Count("Hello, world!"), text)
	// Output: [9906 11 1917 0] 4 Hello, world!
}

func ExampleForModel() {
	enc, exact := tokens.ForModel("openai/gpt-4o-mini")
	fmt.Println(enc.Name(), exact)
	enc, exact = tokens.ForModel("llama3.2")
	fmt.Println(enc.Name(), exact)
	// Output:
	// o200k_base true
	// cl100k_base false
}

// Counting each fragment of a stream on its own over-counts where a
// fragment cuts a word; a Counter stays exact.
func ExampleCounter() {
	enc, _ := tokens.Get("o200k_base")
	fragments := []string{"The qu", "ick bro", "wn fox", " jumps"}
	c := enc.NewCounter()
	naive := 0
	for _, f := range fragments {
		c.Add(f)
		naive += enc.Count(f)
	}
	fmt.Println("counter:", c.Count(), "whole text:", enc.Count("The quick brown fox jumps"), "per fragment:", naive)
	// Output: counter: 5 whole text: 5 per fragment: 7
}

func ExampleEncoding_WithSpecialTokens() {
	enc, _ := tokens.Get("cl100k_base")
	fmt.Println(enc.Encode("<|endoftext|>"))
	fmt.Println(enc.WithSpecialTokens().Encode("<|endoftext|>"))
	// Output:
	// [27 91 8862 728 428 91 29]
	// [100257]
}

func ExampleEncoding_CountChat() {
	enc, _ := tokens.ForModel("gpt-4o")
	n := enc.CountChat([]tokens.ChatMessage{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "Say hi."},
	})
	fmt.Println(n)
	// Output: 18
}

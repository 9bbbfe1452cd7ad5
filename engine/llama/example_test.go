package llama_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sluicehq/sluice/engine/llama"
	"github.com/sluicehq/sluice/engine/tokenizer"
)

// Stream a chat reply from a local model, piece by piece.
func ExampleModel_Generate() {
	m, err := llama.Open("stories15M.gguf", llama.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	prompt := m.ChatPrompt([]tokenizer.Message{{Role: "user", Content: "Once upon a time"}})
	res, err := m.Generate(context.Background(), prompt, llama.GenerateOptions{MaxTokens: 100, Temperature: 0.8, TopP: 0.95, Seed: 1},
		func(p llama.Piece) error {
			fmt.Print(p.Text) // complete UTF-8, never a partial stop string
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n%s after %d+%d tokens\n", res.Finish, res.PromptTokens, res.OutputTokens)
}

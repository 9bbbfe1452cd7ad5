package tokenizer

import "strings"

// Message is one turn of a conversation. Role is "system", "user" or
// "assistant" (others are passed through where the format allows).
type Message struct {
	Role    string
	Content string
}

// Format is a chat prompt format.
type Format int

// The recognised formats.
const (
	// Plain joins the contents with blank lines and no markers, for base
	// models (such as the TinyStories ones) that have no chat format.
	Plain Format = iota
	// ChatML: <|im_start|>role\ncontent<|im_end|>\n (SmolLM2, Qwen).
	ChatML
	// Llama3: <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>.
	Llama3
	// Llama2: <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] reply </s>.
	Llama2
	// Zephyr: <|user|>\ncontent</s>\n (TinyLlama chat).
	Zephyr
)

// String returns the format's name.
func (f Format) String() string {
	switch f {
	case ChatML:
		return "chatml"
	case Llama3:
		return "llama3"
	case Llama2:
		return "llama2"
	case Zephyr:
		return "zephyr"
	}
	return "plain"
}

// Template formats conversations for one model. Its zero value is the Plain
// format.
type Template struct {
	Format Format
	// DefaultSystem is the system prompt the model's template inserts when
	// the conversation has none (SmolLM2 and Qwen do), or "".
	DefaultSystem string
}

// chatmlDefaultSystem finds a literal default system prompt in a ChatML
// Jinja template, such as SmolLM2's
// '<|im_start|>system\nYou are a helpful AI assistant named SmolLM...<|im_end|>\n',
// and returns "" when the template builds it from variables instead.
func chatmlDefaultSystem(jinja string) string {
	const open, end = `<|im_start|>system\n`, `<|im_end|>`
	_, rest, ok := strings.Cut(jinja, open)
	if !ok {
		return ""
	}
	text, _, ok := strings.Cut(rest, end)
	if !ok || text == "" || strings.ContainsAny(text, "'\"{}<") {
		return ""
	}
	return text
}

// detectTemplate recognises the format of a Jinja chat template by its
// markers. With no template, the vocabulary's special tokens decide, and a
// vocabulary with none means a base model: Plain.
func detectTemplate(jinja string, t *Tokenizer) Template {
	has := func(s string) bool {
		if jinja != "" {
			return strings.Contains(jinja, s)
		}
		_, ok := t.index[s]
		return ok
	}
	switch {
	case has("<|im_start|>"):
		tp := Template{Format: ChatML}
		tp.DefaultSystem = chatmlDefaultSystem(jinja)
		return tp
	case has("<|start_header_id|>"):
		return Template{Format: Llama3}
	case has("<|user|>") && has("<|assistant|>"):
		return Template{Format: Zephyr}
	case jinja != "" && strings.Contains(jinja, "[INST]"):
		return Template{Format: Llama2}
	}
	return Template{Format: Plain}
}

// Apply renders msgs as a prompt ending where the assistant's reply begins.
// The result contains special-token text and must be encoded with
// Encode(prompt, true). BOS is not included: add it when
// [Tokenizer.AddBOS] says so.
func (tp Template) Apply(msgs []Message) string {
	var b strings.Builder
	switch tp.Format {
	case ChatML:
		if tp.DefaultSystem != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
			b.WriteString("<|im_start|>system\n" + tp.DefaultSystem + "<|im_end|>\n")
		}
		for _, m := range msgs {
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
		}
		b.WriteString("<|im_start|>assistant\n")
	case Llama3:
		for _, m := range msgs {
			b.WriteString("<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n" + strings.TrimSpace(m.Content) + "<|eot_id|>")
		}
		b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
	case Zephyr:
		for _, m := range msgs {
			b.WriteString("<|" + m.Role + "|>\n" + m.Content + "</s>\n")
		}
		b.WriteString("<|assistant|>\n")
	case Llama2:
		tp.applyLlama2(&b, msgs)
	default:
		for i, m := range msgs {
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(m.Content)
		}
	}
	return b.String()
}

// applyLlama2 writes the [INST] format. The system prompt goes inside the
// first instruction; every turn after the first starts with a BOS written
// as text.
func (tp Template) applyLlama2(b *strings.Builder, msgs []Message) {
	system := ""
	if len(msgs) > 0 && msgs[0].Role == "system" {
		system, msgs = msgs[0].Content, msgs[1:]
	}
	first := true
	for _, m := range msgs {
		if m.Role == "assistant" {
			b.WriteString(" " + strings.TrimSpace(m.Content) + " </s>")
			continue
		}
		if !first {
			b.WriteString("<s>")
		}
		b.WriteString("[INST] ")
		if first && system != "" {
			b.WriteString("<<SYS>>\n" + system + "\n<</SYS>>\n\n")
		}
		b.WriteString(strings.TrimSpace(m.Content) + " [/INST]")
		first = false
	}
}

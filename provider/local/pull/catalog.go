package pull

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// DefaultHost is the Hugging Face endpoint the catalog's URLs point at.
const DefaultHost = "https://huggingface.co"

// Default is the catalog model sluice downloads on first run when nothing
// else is configured. It is SmolLM2-135M-Instruct rather than a stories
// model because sluice answers chat requests, and of the small models only
// an instruction-tuned one follows a prompt; the stories models only tell
// children's stories.
const Default = "smollm2-135m-instruct"

// Model is a model file to download.
type Model struct {
	// Name is the model's name in the models folder: the file is Name.gguf
	// and requests address it as "local/Name".
	Name string
	// URL is where the file is downloaded from.
	URL string
	// Size is the file's length in bytes, 0 when it is not known in advance
	// (the host's Content-Length is used then).
	Size int64
	// SHA256 is the file's hash in lower-case hex, pinned in the catalog;
	// "" means the hash the host publishes is checked instead.
	SHA256 string
	// License names the weights' licence and their origin.
	License string
	// About says in a few words what the model is, for listings.
	About string
}

// Catalog returns the models sluice knows by name, with their URLs on host
// ("" means [DefaultHost]; a Hugging Face mirror or a test server stands in
// for it as HF_ENDPOINT does for Hugging Face's own tools).
//
// Which hashes are pinned: only stories260K's, taken from a copy checked by
// hand. stories15M and smollm2-135m-instruct are verified at download time
// against the sha256 Hugging Face publishes for every LFS file (the
// X-Linked-Etag header), because their hashes could not be checked when the
// catalog was written, and a pinned hash nobody verified would be worse than
// the host's. A pinned hash the host contradicts stops the download before
// it starts.
//
// The list is built on each call, so callers may change their copy.
func Catalog(host string) []Model {
	if host == "" {
		host = DefaultHost
	}
	host = strings.TrimSuffix(host, "/")
	return []Model{
		{
			Name:    "stories260K",
			URL:     host + "/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf",
			Size:    1185376,
			SHA256:  "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
			License: "MIT (karpathy/tinyllamas, GGUF by ggml-org)",
			About:   "260K-parameter Llama trained on TinyStories; 1.2 MB, for tests",
		},
		{
			Name:    "stories15M",
			URL:     host + "/ggml-org/models/resolve/main/tinyllamas/stories15M-q8_0.gguf",
			License: "MIT (karpathy/tinyllamas, GGUF by ggml-org)",
			About:   "15M-parameter Llama trained on TinyStories, Q8_0; about 27 MB",
		},
		{
			Name:    "smollm2-135m-instruct",
			URL:     host + "/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q8_0.gguf",
			License: "Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct)",
			About:   "SmolLM2 135M chat model, Q8_0; about 145 MB",
		},
	}
}

// Resolve returns the catalog model called arg (case does not matter), or,
// for an http or https URL, a model named after the URL's file
// (".../tiny-q8_0.gguf" is "tiny-q8_0"), with no pinned hash. An unknown
// name is an error that lists the catalog.
func Resolve(arg, host string) (Model, error) {
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		u, err := url.Parse(arg)
		if err != nil {
			return Model{}, fmt.Errorf("%q is not a valid URL: %w", arg, err)
		}
		file := path.Base(u.Path)
		name, ok := strings.CutSuffix(file, ".gguf")
		if !ok || name == "" || strings.HasPrefix(name, ".") {
			return Model{}, fmt.Errorf("%s does not name a .gguf file; sluice loads GGUF models only (on Hugging Face, use the file's /resolve/ URL)", arg)
		}
		return Model{Name: name, URL: arg}, nil
	}
	cat := Catalog(host)
	for _, m := range cat {
		if strings.EqualFold(m.Name, arg) {
			return m, nil
		}
	}
	names := make([]string, len(cat))
	for i, m := range cat {
		names[i] = m.Name
	}
	return Model{}, fmt.Errorf("unknown model %q: the known models are %s; or pass the URL of a .gguf file",
		arg, strings.Join(names, ", "))
}

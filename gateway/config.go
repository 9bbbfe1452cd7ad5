package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/provider/responses"
)

// Config is the routing part of sluice's YAML configuration: named
// OpenAI-compatible endpoints, model aliases and the default model. Its
// zero value configures nothing, which leaves the built-in providers.
//
//	default_model: fast
//	aliases:
//	  fast: groq/llama-3.3-70b-versatile
//	  gpt-4o-mini: anthropic/claude-3-5-haiku-latest
//	endpoints:
//	  - name: groq
//	    base_url: https://api.groq.com/openai/v1
//	    api_key_env: GROQ_API_KEY
//	  - name: vllm
//	    base_url: http://127.0.0.1:8000/v1
//	    models: [meta-llama/Llama-3.1-8B-Instruct]
//	  - name: oair
//	    base_url: https://api.openai.com/v1
//	    api_key_env: OPENAI_API_KEY
//	    api: responses
//
// Keys never live in the file: an endpoint names the variable that holds
// its key, so the file can be committed and shared.
type Config struct {
	// DefaultModel is the model used when a request names none: a
	// "provider/model" name or an alias. Empty leaves the choice to
	// [DefaultModel].
	DefaultModel string `yaml:"default_model"`
	// Aliases map a name clients send to a "provider/model" name, so an
	// application with a model name built in can be pointed anywhere.
	Aliases map[string]string `yaml:"aliases"`
	// Endpoints are OpenAI-compatible servers, each a provider of its own
	// name.
	Endpoints []Endpoint `yaml:"endpoints"`
}

// Endpoint is one named OpenAI-compatible server (Groq, Together,
// OpenRouter, vLLM, llama.cpp, LM Studio, …).
type Endpoint struct {
	// Name is the provider name in "name/model"; letters, digits, '-' and
	// '_'. An endpoint named like a built-in provider replaces it.
	Name string `yaml:"name"`
	// BaseURL is the API root that /chat/completions is appended to, as in
	// OPENAI_BASE_URL: "https://api.groq.com/openai/v1".
	BaseURL string `yaml:"base_url"`
	// APIKeyEnv names the variable holding the key. Empty sends no key,
	// which local servers accept.
	APIKeyEnv string `yaml:"api_key_env"`
	// Models are listed by /v1/models instead of asking the server, for
	// servers that cannot list theirs or list too many.
	Models []string `yaml:"models"`
	// Headers are sent with every request (an Azure api-key is read from
	// APIKeyEnv, not written here).
	Headers map[string]string `yaml:"headers"`
	// API is the protocol spoken to the endpoint: "chat" (the default,
	// POST /chat/completions) or "responses" (OpenAI's POST /responses,
	// which keeps reasoning items and their encrypted content across a
	// tool loop).
	API string `yaml:"api"`
}

// LoadConfig reads and checks the YAML file at path.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a YAML document holding only the fields of Config and
// checks it. A field it does not know is an error naming the field and its
// line, so a typo never passes silently.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	if err := DecodeYAML(data, &c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DecodeYAML decodes one YAML document into v strictly: unknown fields are
// errors. Callers embedding Config in a larger file (inline) use it for the
// whole file. An empty document leaves v unchanged.
func DecodeYAML(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return yamlError(err)
	}
	return nil
}

// yamlError rewords the yaml package's errors for a person: "line 3: field
// api_key not found in type gateway.Endpoint" becomes "line 3: unknown
// field api_key".
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if at, rest, ok := strings.Cut(m, ": field "); ok {
			if field, _, ok := strings.Cut(rest, " not found in type "); ok {
				m = at + ": unknown field " + field
			}
		}
		msgs[i] = m
	}
	return errors.New(strings.Join(msgs, "; "))
}

// validName reports whether s is a provider name: letters, digits, '-' and
// '_', not starting with a punctuation mark.
func validName(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// Validate reports the first problem in c, saying how to fix it.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i, ep := range c.Endpoints {
		where := fmt.Sprintf("endpoints[%d]", i)
		if ep.Name != "" {
			where = fmt.Sprintf("endpoint %q", ep.Name)
		}
		switch {
		case ep.Name == "":
			return fmt.Errorf("%s has no name: give it one, such as groq; its models are then groq/<model>", where)
		case !validName(ep.Name):
			return fmt.Errorf("%s: the name may hold only letters, digits, '-' and '_'", where)
		case seen[ep.Name]:
			return fmt.Errorf("%s is configured twice", where)
		case ep.BaseURL == "":
			return fmt.Errorf("%s has no base_url: give the API root, such as https://api.groq.com/openai/v1", where)
		}
		seen[ep.Name] = true
		switch ep.API {
		case "", "chat", "responses":
		default:
			return fmt.Errorf("%s: api %q is neither chat nor responses", where, ep.API)
		}
		u, err := url.Parse(ep.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: base_url %q is not an http(s) URL", where, ep.BaseURL)
		}
		if u.User != nil {
			return fmt.Errorf("%s: base_url holds credentials; put the key in a variable named by api_key_env", where)
		}
		for k := range ep.Headers {
			switch strings.ToLower(k) {
			case "authorization", "api-key", "x-api-key":
				return fmt.Errorf("%s: header %s would put a key in the file; name its variable in api_key_env instead", where, k)
			}
		}
	}
	for name, target := range c.Aliases {
		if name == "" {
			return errors.New("aliases: an alias has an empty name")
		}
		if _, _, err := sluice.SplitModel(target); err != nil {
			return fmt.Errorf("alias %q: target %q is not of the form provider/model", name, target)
		}
	}
	if d := c.DefaultModel; d != "" {
		if _, ok := c.Aliases[d]; !ok {
			if _, _, err := sluice.SplitModel(d); err != nil {
				return fmt.Errorf("default_model %q is neither an alias nor of the form provider/model", d)
			}
		}
	}
	return nil
}

// Alias returns the "provider/model" name an alias stands for, or name
// itself when it is not an alias.
func (c *Config) Alias(name string) string {
	if t, ok := c.Aliases[name]; ok {
		return t
	}
	return name
}

// Apply registers c's endpoints in r, each built on first use with the
// openai package's compatible-server settings. An endpoint whose key
// variable is unset fails only when used, with an error naming the
// variable, like the built-in providers. Aliases and the default model are
// not part of a Registry: frontends resolve them with [Config.Alias].
func (c *Config) Apply(r *Registry) {
	for _, ep := range c.Endpoints {
		r.Register(ep.Name, ep.factory())
	}
}

// factory returns the Factory of one endpoint.
func (ep Endpoint) factory() Factory {
	return func(getenv func(string) string) (sluice.Provider, error) {
		key := ""
		if ep.APIKeyEnv != "" {
			key = getenv(ep.APIKeyEnv)
			if key == "" {
				return nil, &sluice.Error{Kind: sluice.KindAuth, Provider: ep.Name,
					Message: fmt.Sprintf("endpoint %s needs a key and %s is not set", ep.Name, ep.APIKeyEnv),
					Hint:    fmt.Sprintf("set %s in the environment or in .env", ep.APIKeyEnv)}
			}
		}
		var p sluice.Provider
		if ep.API == "responses" {
			h := make(map[string][]string, len(ep.Headers))
			for k, v := range ep.Headers {
				h[k] = []string{v}
			}
			p = responses.New(responses.Config{Name: ep.Name, BaseURL: ep.BaseURL, APIKey: key, Header: h})
		} else if len(ep.Headers) == 0 {
			p = openai.Compatible(ep.Name, ep.BaseURL, key)
		} else {
			h := make(map[string][]string, len(ep.Headers))
			for k, v := range ep.Headers {
				h[k] = []string{v}
			}
			// The settings of openai.Compatible, plus the headers.
			p = openai.New(openai.Config{Name: ep.Name, BaseURL: ep.BaseURL, APIKey: key, Header: h,
				LegacyMaxTokens: true, TopK: true})
		}
		if len(ep.Models) > 0 {
			return &listedProvider{Provider: p, models: slices.Clone(ep.Models)}, nil
		}
		return p, nil
	}
}

// listedProvider lists a fixed set of models instead of asking the server.
type listedProvider struct {
	sluice.Provider
	models []string
}

// Models returns the configured models.
func (l *listedProvider) Models(context.Context) ([]string, error) {
	return slices.Clone(l.models), nil
}

// Unwrap returns the endpoint's provider, for callers that look for its
// concrete type (the server passes a protocol's own fields through only to
// a provider of that protocol).
func (l *listedProvider) Unwrap() sluice.Provider { return l.Provider }

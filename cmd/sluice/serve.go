package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/requestlog"
	"github.com/sluicehq/sluice/server"
	"github.com/sluicehq/sluice/web"
)

// serveFile is the YAML file `sluice serve --config` reads: the gateway's
// routing config at the top level and the server's settings under server.
//
//	default_model: fast
//	aliases: {fast: groq/llama-3.3-70b-versatile}
//	endpoints:
//	  - {name: groq, base_url: "https://api.groq.com/openai/v1", api_key_env: GROQ_API_KEY}
//	server:
//	  addr: 127.0.0.1:8080
//	  cors_origins: ["http://localhost:3000"]
//	  heartbeat: 15s
//	  shutdown_grace: 10s
//	  max_body_bytes: 8388608
//	  db: /var/lib/sluice/requests.db
type serveFile struct {
	gateway.Config `yaml:",inline"`
	Server         serveSettings `yaml:"server"`
}

// serveSettings are the server's settings; flags given on the command line
// win over the file.
type serveSettings struct {
	Addr          string        `yaml:"addr"`
	CORSOrigins   []string      `yaml:"cors_origins"`
	Heartbeat     time.Duration `yaml:"heartbeat"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	MaxBodyBytes  int64         `yaml:"max_body_bytes"`
	DB            string        `yaml:"db"`
}

func runServe(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("serve", "serve [--addr 127.0.0.1:8080] [--config sluice.yaml] [flags]\n\n"+
		"Serves the web page, GET/POST /stream, the OpenAI-compatible POST /v1/chat/completions\n"+
		"and POST /v1/responses (with its WebSocket mode), the Anthropic-compatible POST\n"+
		"/v1/messages, the count_tokens and input_tokens endpoints, GET /v1/models, GET /v1/logs,\n"+
		"/metrics and /healthz. Providers come from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, …, also\n"+
		"read from .env) and the config file. With no keys and no default_model, the default is a\n"+
		"local model: one in the models folder, else the default small model, downloaded first\n"+
		"(--no-pull or SLUICE_NO_PULL=1 turns that off); failing that, the simulator answers.")
	var set serveSettings
	fs.StringVar(&set.Addr, "addr", "127.0.0.1:8080", "`address` to listen on; port 0 picks a free one")
	configPath := fs.String("config", "", "YAML `file` with endpoints, aliases, default_model and server settings")
	fs.StringVar(&set.DB, "db", "", "request log SQLite `file` (default: sluice/requests.db in the user's state directory; :memory: keeps nothing)")
	cors := fs.String("cors", "", "comma-separated `origins` allowed to call the API from a browser (* for any)")
	fs.DurationVar(&set.Heartbeat, "heartbeat", 15*time.Second, "keep-alive comment after this much silence on a stream (negative: none)")
	fs.DurationVar(&set.ShutdownGrace, "grace", 10*time.Second, "on SIGTERM, how long running streams may go on before they are ended")
	fs.Int64Var(&set.MaxBodyBytes, "max-body", 8<<20, "largest request body in `bytes`")
	logJSON := fs.Bool("log-json", false, "write the request log lines as JSON instead of text")
	noPull := fs.Bool("no-pull", false, "with no model configured, serve the simulator instead of downloading the default local model (also SLUICE_NO_PULL=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q; serve takes only flags (run 'sluice serve -h')", fs.Arg(0))}
	}
	if *cors != "" {
		set.CORSOrigins = strings.Split(*cors, ",")
	}

	var file serveFile
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			return fmt.Errorf("reading the config: %w", err)
		}
		if err := gateway.DecodeYAML(b, &file); err != nil {
			return fmt.Errorf("%s: %w", *configPath, err)
		}
		if err := file.Config.Validate(); err != nil {
			return fmt.Errorf("%s: %w", *configPath, err)
		}
		set = mergeSettings(file.Server, set, fs)
	}

	var handler slog.Handler = slog.NewTextHandler(a.Stderr, nil)
	if *logJSON {
		handler = slog.NewJSONHandler(a.Stderr, nil)
	}
	logger := slog.New(handler)

	env, err := gateway.Env(a.Getenv, ".env")
	if err != nil {
		return err
	}
	reg := gateway.Builtin(env)
	defer reg.Close()
	file.Config.Apply(reg)
	defaultModel := file.Config.DefaultModel
	var router server.Router = reg
	simulated := "" // why the default is the simulator, when it is for want of a model
	if defaultModel == "" {
		defaultModel, simulated, err = a.defaultModel(ctx, env, reg, !*noPull)
		if err != nil {
			return err
		}
	}
	if simulated != "" {
		// The page shows the notice; the log keeps the reason too.
		router = noticeRouter{Registry: reg, notice: "sluice streams from its built-in simulator: " + simulated + "."}
		logger.Warn("no model to serve; the default model is the simulator", "reason", simulated, "models_dir", modelsDir(env))
	}
	// The values the server must never write: every key it may hold.
	var secrets []string
	for _, v := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY"} {
		secrets = append(secrets, env(v))
	}
	for _, ep := range file.Config.Endpoints {
		if ep.APIKeyEnv != "" {
			secrets = append(secrets, env(ep.APIKeyEnv))
		}
	}

	dbPath := set.DB
	if dbPath == "" {
		dbPath = defaultDBPath(a.Getenv)
	}
	store, err := requestlog.Open(dbPath, requestlog.Options{OnError: func(err error) {
		logger.Warn("request log write failed", "error", err)
	}})
	if err != nil {
		return fmt.Errorf("%w (pass --db with a writable path, or --db :memory: to keep nothing)", err)
	}
	defer store.Close()

	srv, err := server.New(server.Config{
		Router:        router,
		DefaultModel:  defaultModel,
		Aliases:       file.Config.Aliases,
		CORSOrigins:   set.CORSOrigins,
		Heartbeat:     set.Heartbeat,
		MaxBodyBytes:  set.MaxBodyBytes,
		ShutdownGrace: set.ShutdownGrace,
		RequestLog:    store,
		Logger:        logger,
		Secrets:       secrets,
		Web:           web.FS(),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", set.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (pass another --addr, or port 0 for a free one)", set.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(a.Stdout, "sluice serving on %s\n", base)
	label := ""
	if simulated != "" {
		label = " (simulated: " + simulated + ")"
	} else if strings.HasPrefix(file.Config.Alias(defaultModel), "sim/") {
		label = " (simulated: set OPENAI_API_KEY or ANTHROPIC_API_KEY for real models)"
	}
	fmt.Fprintf(a.Stdout, "  default model %s%s\n", defaultModel, label)
	fmt.Fprintf(a.Stdout, "  OpenAI SDK:    base_url=%s/v1\n  Anthropic SDK: base_url=%s\n  request log:   %s\n", base, base, dbPath)
	logger.Info("serving", "addr", base, "default_model", defaultModel, "db", dbPath)

	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// noticeRouter is the registry with a notice for the page (server.Noticer):
// why the default model is simulated.
type noticeRouter struct {
	*gateway.Registry
	notice string
}

// Notice implements server.Noticer.
func (r noticeRouter) Notice() string { return r.notice }

// mergeSettings returns the file's settings overridden by every flag given
// on the command line.
func mergeSettings(fromFile, fromFlags serveSettings, fs *flag.FlagSet) serveSettings {
	out := fromFile
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["addr"] || out.Addr == "" {
		out.Addr = fromFlags.Addr
	}
	if given["db"] || out.DB == "" {
		out.DB = fromFlags.DB
	}
	if given["cors"] {
		out.CORSOrigins = fromFlags.CORSOrigins
	}
	if given["heartbeat"] || out.Heartbeat == 0 {
		out.Heartbeat = fromFlags.Heartbeat
	}
	if given["grace"] || out.ShutdownGrace == 0 {
		out.ShutdownGrace = fromFlags.ShutdownGrace
	}
	if given["max-body"] || out.MaxBodyBytes == 0 {
		out.MaxBodyBytes = fromFlags.MaxBodyBytes
	}
	return out
}

// defaultDBPath is sluice/requests.db in the user's state directory
// ($XDG_STATE_HOME, else ~/.local/state), or the cache directory where there
// is no home.
func defaultDBPath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sluice", "requests.db")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "sluice", "requests.db")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "sluice", "requests.db")
	}
	return requestlog.Memory
}

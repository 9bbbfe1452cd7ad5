package main

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/local/pull"
)

// registry returns the providers configured by the environment and a .env
// file in the working directory, and that environment.
func (a *App) registry() (*gateway.Registry, func(string) string, error) {
	env, err := gateway.Env(a.Getenv, ".env")
	if err != nil {
		return nil, nil, err
	}
	return gateway.Builtin(env), env, nil
}

// defaultModel picks the model to use when none is named:
// gateway.ConfiguredModel when something is configured, else the default
// local model, downloaded now with a progress bar (as ollama run does)
// unless allowPull is false or SLUICE_NO_PULL is set. When the download is
// off or fails, the model is the simulator and simulated says why, in words
// for a person and without local paths, as the page shows it; the download's
// own error is written to stderr. err is only a cancelled ctx.
func (a *App) defaultModel(ctx context.Context, env func(string) string, reg *gateway.Registry, allowPull bool) (model, simulated string, err error) {
	if m := gateway.ConfiguredModel(reg); m != "" {
		return m, "", nil
	}
	dir := modelsDir(env)
	if !allowPull || noPullEnv(env) {
		return gateway.FallbackModel, fmt.Sprintf("no API key is set, no local model is installed, and --no-pull (or SLUICE_NO_PULL) "+
			"turned off the download of the default model; run 'sluice pull %s', or set OPENAI_API_KEY or ANTHROPIC_API_KEY", pull.Default), nil
	}
	m, err := pull.Resolve(pull.Default, pullHost(env))
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(a.Stderr, "No API key is set and %s holds no model, so sluice downloads its default model, %s (%s); --no-pull or SLUICE_NO_PULL=1 turns this off.\n",
		dir, m.Name, m.About)
	if _, err := a.download(ctx, &pull.Downloader{Dir: dir}, m); err != nil {
		if ctx.Err() != nil {
			return "", "", &exitError{code: 130, err: err}
		}
		fmt.Fprintf(a.Stderr, "could not download the default model: %v\n", err)
		return gateway.FallbackModel, fmt.Sprintf("no API key is set, no local model is installed, and the default model %s could not be downloaded "+
			"(the error is in sluice's output); run 'sluice pull %s' when online, copy a .gguf file into the models folder, or set OPENAI_API_KEY or ANTHROPIC_API_KEY",
			m.Name, m.Name), nil
	}
	return "local/" + m.Name, "", nil
}

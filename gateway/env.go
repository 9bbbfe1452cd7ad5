package gateway

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/joho/godotenv"
)

// Env returns a lookup that reads the process environment (through getenv)
// first and then the KEY=value file at dotenv, so a variable set in the shell
// always wins over the file, as with every dotenv tool. A missing file is not
// an error; a malformed one is, with its path. The process environment is
// never modified: tests and servers pass the lookup down instead.
func Env(getenv func(string) string, dotenv string) (func(string) string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	vars, err := godotenv.Read(dotenv)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return getenv, nil
		}
		return nil, fmt.Errorf("reading %s: %w (each line must be KEY=value)", dotenv, err)
	}
	return func(key string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return vars[key]
	}, nil
}

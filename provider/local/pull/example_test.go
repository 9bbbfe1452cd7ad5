package pull_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicehq/sluice/provider/local/pull"
)

func ExampleResolve() {
	m, err := pull.Resolve("stories260K", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Name, m.URL)
	m, _ = pull.Resolve("https://example.com/models/tiny-q8_0.gguf", "")
	fmt.Println(m.Name)
	// Output:
	// stories260K https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf
	// tiny-q8_0
}

// A host that publishes the file's sha256 as Hugging Face does, in
// X-Linked-Etag, needs no hash in the catalog.
func ExampleDownloader_Pull() {
	const body = "GGUF pretend model"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// sha256 of body
		w.Header().Set("X-Linked-Etag", `"a94966596151fdad8408f6d770317bb47c9bb335a8965d4d0642d23f0f4a3656"`)
		http.ServeContent(w, r, "tiny.gguf", time.Time{}, strings.NewReader(body))
	}))
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "models")
	defer os.RemoveAll(dir)

	m, _ := pull.Resolve(srv.URL+"/tiny.gguf", "")
	d := &pull.Downloader{Dir: dir}
	res, err := d.Pull(context.Background(), m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(res.Path), res.Size, "bytes, sha256 from the", res.HashSource)
	// Output: tiny.gguf 18 bytes, sha256 from the host
}

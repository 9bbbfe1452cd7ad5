// Package web holds sluice's page: plain HTML, CSS and JavaScript embedded
// in the binary, so `sluice serve` needs no build step and no files beside
// it. The page streams from /stream with fetch (so Stop aborts the request
// and the server cancels the upstream), fills its model picker from
// /v1/models, compares two to four models side by side, and shows the
// request log from /v1/logs. It inserts every piece of text with
// textContent or text nodes, never as HTML.
package web

import (
	"embed"
	"io/fs"
)

// files is the page. An embed.FS is read-only, so this package-level value
// holds no state.
//
//go:embed index.html style.css app.js favicon.svg
var files embed.FS

// FS returns the page's files, index.html at the root.
func FS() fs.FS { return files }

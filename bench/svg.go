package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// palette returns the colours of the models in charts, in model order;
// they are distinguishable for the common forms of colour blindness.
func palette() []string {
	return []string{"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"}
}

// colorOf returns model i's colour.
func colorOf(i int) string {
	p := palette()
	return p[i%len(p)]
}

// chart draws one SVG chart with linear axes. It writes markup as it goes;
// String closes it. Data coordinates are mapped into the plot area inside
// the margins.
type chart struct {
	b                        strings.Builder
	w, h                     float64
	left, right, top, bottom float64
	x0, x1, y0, y1           float64
	// rows, when set, replaces the numeric y axis by these category
	// names, row i drawn at y = i.
	rows []string
}

// newChart starts a chart of w×h pixels showing [x0,x1]×[y0,y1].
func newChart(w, h, x0, x1, y0, y1 float64, label string) *chart {
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 <= y0 {
		y1 = y0 + 1
	}
	c := &chart{w: w, h: h, left: 58, right: 16, top: 14, bottom: 40, x0: x0, x1: x1, y0: y0, y1: y1}
	fmt.Fprintf(&c.b, `<svg class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(label))
	fmt.Fprintf(&c.b, `<title>%s</title>`, html.EscapeString(label))
	return c
}

// X maps a data x to a pixel column.
func (c *chart) X(v float64) float64 {
	return c.left + (v-c.x0)/(c.x1-c.x0)*(c.w-c.left-c.right)
}

// Y maps a data y to a pixel row.
func (c *chart) Y(v float64) float64 {
	return c.h - c.bottom - (v-c.y0)/(c.y1-c.y0)*(c.h-c.top-c.bottom)
}

// axes draws the frame, grid lines and tick labels of both axes, with
// xlabel and ylabel. ticks, if not nil, labels the x ticks instead of
// numbers (for ordinal axes), at x = 0, 1, 2, ….
func (c *chart) axes(xlabel, ylabel string, ticks []string) {
	px0, px1 := c.X(c.x0), c.X(c.x1)
	py0, py1 := c.Y(c.y0), c.Y(c.y1)
	if c.rows != nil {
		for i, name := range c.rows {
			y := c.Y(float64(i))
			fmt.Fprintf(&c.b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px0, y, px1, y)
			fmt.Fprintf(&c.b, `<text class="name" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, px0-8, y+4, html.EscapeString(name))
		}
	} else {
		for _, v := range niceTicks(c.y0, c.y1, 5) {
			y := c.Y(v)
			fmt.Fprintf(&c.b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px0, y, px1, y)
			fmt.Fprintf(&c.b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, px0-5, y+4, tickLabel(v))
		}
	}
	if ticks != nil {
		for i, t := range ticks {
			fmt.Fprintf(&c.b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, c.X(float64(i)), py0+15, html.EscapeString(t))
		}
	} else {
		for _, v := range niceTicks(c.x0, c.x1, 6) {
			x := c.X(v)
			fmt.Fprintf(&c.b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, py0, x, py0+4)
			fmt.Fprintf(&c.b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, py0+15, tickLabel(v))
		}
	}
	fmt.Fprintf(&c.b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px0, py0, px1, py0)
	fmt.Fprintf(&c.b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px0, py0, px0, py1)
	fmt.Fprintf(&c.b, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (px0+px1)/2, c.h-6, html.EscapeString(xlabel))
	fmt.Fprintf(&c.b, `<text class="label" transform="translate(13 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, (py0+py1)/2, html.EscapeString(ylabel))
}

// polyline draws a line through points (data coordinates); dashed draws it
// dashed and lighter. tip is shown when the pointer rests on the line.
func (c *chart) polyline(points [][2]float64, color string, dashed bool, tip string) {
	if len(points) == 0 {
		return
	}
	var pts strings.Builder
	for _, p := range points {
		fmt.Fprintf(&pts, "%.1f,%.1f ", c.X(p[0]), c.Y(p[1]))
	}
	style := ""
	if dashed {
		style = ` stroke-dasharray="4 3" stroke-opacity="0.6"`
	}
	fmt.Fprintf(&c.b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"><title>%s</title></polyline>`,
		color, style, strings.TrimSpace(pts.String()), html.EscapeString(tip))
}

// dot draws a circle of radius r at (x, y) in data coordinates.
func (c *chart) dot(x, y, r float64, color, opacity, tip string) {
	fmt.Fprintf(&c.b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" fill-opacity="%s"><title>%s</title></circle>`,
		c.X(x), c.Y(y), r, color, opacity, html.EscapeString(tip))
}

// bar draws a rectangle from (x, y0) to (x+w, y1) in data coordinates.
func (c *chart) bar(x, w, y0, y1 float64, color, tip string) {
	px0, px1 := c.X(x), c.X(x+w)
	py0, py1 := c.Y(y0), c.Y(y1)
	fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.8"><title>%s</title></rect>`,
		px0, min(py0, py1), math.Max(px1-px0, 0.5), math.Abs(py0-py1), color, html.EscapeString(tip))
}

// text writes a label at pixel (px, py).
func (c *chart) text(px, py float64, anchor, class, s string) {
	fmt.Fprintf(&c.b, `<text class="%s" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, class, px, py, anchor, html.EscapeString(s))
}

// String closes the chart and returns its markup.
func (c *chart) String() string { return c.b.String() + "</svg>" }

// niceTicks returns about n round tick values covering [lo, hi]: multiples
// of 1, 2 or 5 times a power of ten.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// tickLabel formats a tick value without trailing zeros.
func tickLabel(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

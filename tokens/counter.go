package tokens

// Counter placeholder.
type Counter struct{ e *Encoding; s string }

func (e *Encoding) NewCounter() *Counter { return &Counter{e: e} }
func (c *Counter) Add(f string) int { c.s += f; return c.Count() }
func (c *Counter) Count() int { return c.e.Count(c.s) }

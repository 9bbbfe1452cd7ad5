// Package sluice holds the domain of the sluice streaming toolkit: one
// [Request] shape, one lossless [Event] stream and one [Error] type over every
// LLM provider.
//
// A [Provider] turns a Request into a [Stream]. Provider.Stream sends the request
// at once, so an HTTP error reply is a typed *Error before any event, and the
// caller can still choose its own status code or fail over. The Stream is then
// ranged over once:
//
//	s, err := p.Stream(ctx, req)
//	if err != nil {
//		return err // *sluice.Error with Kind, Status, RetryAfter
//	}
//	defer s.Close()
//	for ev, err := range s.Events() {
//		if err != nil {
//			break // the last item; s.Result().Partial is true
//		}
//		if ev.Type == sluice.EventText {
//			fmt.Print(ev.Text)
//		}
//	}
//	res := s.Result() // text, tool calls, usage, metrics, finish reason
//
// Events are lossless on purpose: reasoning and its opaque signatures, cache
// usage and event types a decoder does not know all survive, because agent
// clients fail on the next turn when a gateway drops them. Provider adapters
// live in provider/...; this package imports none of them.
package sluice

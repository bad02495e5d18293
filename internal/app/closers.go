package app

import (
	"context"
	"errors"
	"net"
)

// Closers stops what a program started, in reverse order of start.
type Closers struct{ fns []func(context.Context) error }

// Add registers the stop function of a part that just started.
func (c *Closers) Add(f func(context.Context) error) { c.fns = append(c.fns, f) }

// Close runs every stop function, last first, and joins their errors. A listener that its server already
// closed is not an error. Calling Close again does nothing.
func (c *Closers) Close(ctx context.Context) error {
	var errs []error
	for i := len(c.fns) - 1; i >= 0; i-- {
		if err := c.fns[i](ctx); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	c.fns = nil
	return errors.Join(errs...)
}

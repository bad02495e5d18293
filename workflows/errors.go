package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
)

// rejectf refuses an update with a dsrflow error code as the application error's type, which the front
// door maps to an HTTP status. Messages hold no personal data.
func rejectf(code, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), code, nil)
}

func refuse(format string, args ...any) error { return rejectf(dsrflow.ECONFLICT, format, args...) }

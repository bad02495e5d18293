package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// sqliteCompanions are the files SQLite keeps beside a database; it creates them with the database
// file's own permissions.
var sqliteCompanions = []string{"", "-wal", "-shm", "-journal"}

// PrivateFile makes path a file only its owner may read or write (0600): created empty when missing (an
// empty file is a new SQLite database, and a log file starts empty), its mode corrected when an earlier
// version left it readable to others. The SQLite companions of path (-wal, -shm, -journal) that exist
// are corrected too; those SQLite creates later take the database file's mode. The data directory is
// 0700 as well, but a file's own mode is what survives a copy, a backup or a changed directory.
func PrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, suffix := range sqliteCompanions {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("make %s private: %w", path+suffix, err)
		}
	}
	return nil
}

// Package repocheck holds tests of the repository itself rather than of the
// kernel: no built binaries or other large files are committed, and every
// document a source file or page cites is in the tree. It has no code; its
// tests run with the host tests.
package repocheck

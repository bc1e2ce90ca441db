// Package e2e holds the browser tests: the real server runs in-process on
// a loopback port with a fresh SQLite file, and Debian's Chromium drives
// its pages through chromedp. Screenshots of every step are saved under
// $JISHI_ARTIFACTS/e2e (or test-artifacts/e2e at the module root).
//
// Without /usr/bin/chromium the tests skip (apt-get install -y chromium);
// under CI=true they fail instead.
package e2e

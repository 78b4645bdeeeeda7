package helmengine

// For the tests of package helmengine_test (install_test.go), which hold
// the engines to Helm's install (installref imports helmengine).
var (
	LoadChart   = loadChart
	TestRequest = request
	AddTemplate = addTemplate
)

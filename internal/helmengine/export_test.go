package helmengine

// For the tests of package helmengine_test (install_test.go), which hold
// the engines to Helm's install (installref imports helmengine), and
// coalesce_upstream_test.go, which needs the repository's hubs (package
// release imports helmengine).
var (
	LoadChart        = loadChart
	TestRequest      = request
	AddTemplate      = addTemplate
	CompareCoalesce  = compareCoalesce
	PlainValues      = plainValues
	V3CoalesceValues = v3CoalesceValues
)

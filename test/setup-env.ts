// Runs before every test file is imported (stack-notes pitfall 6): modules
// that read the environment at import time see the test values.
process.env.LOG_LEVEL ??= 'silent';

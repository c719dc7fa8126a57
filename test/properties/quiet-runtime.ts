/**
 * Imported first by the property test: its schedules fail activities by the hundred on purpose,
 * and the SDK logs each failure at WARN. Only errors are worth printing there.
 */
process.env.TEMPORAL_TEST_LOG_LEVEL ??= 'ERROR';

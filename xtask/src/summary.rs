//! Counting what each test layer ran and printing the summary: one line per layer, then `N passed, N failed`.

/// The outcome of one layer of `cargo xtask test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The layer's name, e.g. "native tests".
    pub name: String,
    /// Tests (or checks) that passed.
    pub passed: u64,
    /// Tests (or checks) that failed.
    pub failed: u64,
    /// Anything worth a note, e.g. "check only".
    pub note: String,
}

impl Layer {
    /// A layer that is a single check (fmt, clippy, a build): one pass or one failure.
    pub fn check(name: &str, ok: bool) -> Layer {
        Layer {
            name: name.to_owned(),
            passed: u64::from(ok),
            failed: u64::from(!ok),
            note: String::new(),
        }
    }

    /// A layer that runs tests, from whether its command succeeded and the `(passed, failed)` counts it printed.
    /// A command that failed counts at least one failure, and a layer that reports no test at all (a build that
    /// failed, a runner that found nothing to run, every test skipped) counts as failed with the note "ran no
    /// test", so a layer cannot pass without running anything.
    pub fn tests(name: &str, succeeded: bool, (passed, failed): (u64, u64)) -> Layer {
        if passed == 0 && failed == 0 {
            return Layer {
                name: name.to_owned(),
                passed,
                failed: 1,
                note: "ran no test".into(),
            };
        }
        Layer {
            name: name.to_owned(),
            passed,
            failed: if succeeded { failed } else { failed.max(1) },
            note: String::new(),
        }
    }
}

/// Sums the `test result: … N passed; M failed` lines that libtest and wasm-bindgen-test-runner print.
pub fn count_libtest(output: &str) -> (u64, u64) {
    let mut passed = 0;
    let mut failed = 0;
    for line in output.lines().filter(|line| line.starts_with("test result:")) {
        passed += number_before(line, " passed").unwrap_or(0);
        failed += number_before(line, " failed").unwrap_or(0);
    }
    (passed, failed)
}

/// Reads node's TAP reporter totals (`# pass N`, `# fail N`).
pub fn count_node_tap(output: &str) -> (u64, u64) {
    let total = |prefix: &str| {
        output
            .lines()
            .filter_map(|line| line.strip_prefix(prefix))
            .filter_map(|n| n.trim().parse::<u64>().ok())
            .sum()
    };
    (total("# pass "), total("# fail "))
}

fn number_before(line: &str, marker: &str) -> Option<u64> {
    let end = line.find(marker)?;
    let digits: String = line[..end].chars().rev().take_while(char::is_ascii_digit).collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// Prints the per-layer lines and the closing `N passed, N failed` line; returns whether everything passed.
pub fn print(layers: &[Layer]) -> bool {
    println!("\n== summary ==");
    for layer in layers {
        let note = if layer.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", layer.note)
        };
        println!("{}: {} passed, {} failed{note}", layer.name, layer.passed, layer.failed);
    }
    let passed: u64 = layers.iter().map(|layer| layer.passed).sum();
    let failed: u64 = layers.iter().map(|layer| layer.failed).sum();
    println!("{passed} passed, {failed} failed");
    failed == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_libtest_result_line() {
        let output = "running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored\n\
                      test result: FAILED. 10 passed; 2 failed; 0 ignored\n";
        assert_eq!(count_libtest(output), (13, 2));
    }

    #[test]
    fn reads_node_tap_totals() {
        let output = "TAP version 13\nok 1 - x\n# tests 3\n# pass 2\n# fail 1\n";
        assert_eq!(count_node_tap(output), (2, 1));
    }

    #[test]
    fn no_result_lines_count_nothing() {
        assert_eq!(count_libtest("error: could not compile"), (0, 0));
    }

    #[test]
    fn a_layer_that_ran_no_test_fails() {
        let expected = Layer {
            name: "e2e".into(),
            passed: 0,
            failed: 1,
            note: "ran no test".into(),
        };
        // What node's TAP reporter prints when every test was filtered out or skipped, with exit status 0.
        let node = "TAP version 13\n1..1\n# tests 1\n# suites 0\n# pass 0\n# fail 0\n# skipped 1\n";
        assert_eq!(Layer::tests("e2e", true, count_node_tap(node)), expected);
        // A runner that printed no totals at all (it could not start, or the build failed).
        assert_eq!(Layer::tests("e2e", true, count_node_tap("")), expected);
        assert_eq!(
            Layer::tests("e2e", false, count_libtest("error: could not compile")),
            expected
        );
    }

    #[test]
    fn a_failed_command_counts_a_failure_even_when_its_tests_passed() {
        let layer = Layer::tests("native", false, (12, 0));
        assert_eq!((layer.passed, layer.failed, layer.note.as_str()), (12, 1, ""));
        let layer = Layer::tests("native", true, (12, 0));
        assert_eq!((layer.passed, layer.failed, layer.note.as_str()), (12, 0, ""));
        let layer = Layer::tests("native", false, (10, 2));
        assert_eq!((layer.passed, layer.failed, layer.note.as_str()), (10, 2, ""));
    }
}

//! `cargo bench --bench load -- DIR [RUNS]`: open a data folder fully typed and indexed,
//! against merely tokenizing the same files with one reused `csv::ByteRecord` on one
//! thread (the floor issue 6 measures against). Prints the median of RUNS (default 5).
//! Make the folder with `procedures generate DIR --scale y1`.

use procedures::store::{self, TableKind};
use std::path::Path;
use std::time::{Duration, Instant};

fn tokenize(dir: &Path) -> usize {
    let mut records = 0;
    let mut rec = csv::ByteRecord::new();
    for kind in TableKind::ALL {
        let Ok(file) = std::fs::File::open(dir.join(kind.file_name())) else { continue };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
        while rdr.read_byte_record(&mut rec).unwrap_or(false) {
            records += 1;
        }
    }
    records
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: cargo bench --bench load -- DIR [RUNS]");
        return;
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let dir = Path::new(dir);
    let (mut tok, mut load) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let n = tokenize(dir);
        tok.push(t.elapsed());
        let t = Instant::now();
        let loaded = store::load(dir).expect("load");
        load.push(t.elapsed());
        assert!(loaded.problems.is_empty());
        assert!(n > loaded.db.run_steps.len());
    }
    let (t, l) = (median(tok), median(load));
    println!("tokenize (1 thread, reused ByteRecord): median {t:.2?} of {runs}");
    println!(
        "load (typed, indexed, checked):          median {l:.2?} of {runs}  ({:.2}x tokenize)",
        l.as_secs_f64() / t.as_secs_f64()
    );
}

//! Files a run writes: the trace CSV and the spikes CSV (sinks streamed row by row, so
//! memory is bounded by the population, not by the run's length) and the sidecar
//! `FILE.json` that records how each file was made. Formats are those of `docs/cli.md`.

use crate::files::StagedFile;
use crate::label::ColumnLabel;
use galvani_ir::step::EventProgram;
use galvani_ir::EventKind;
use galvani_runtime::{Column, RecordSink, SinkError, SpikeSink};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A grid time for output: `k·dt` printed without the last-bit noise of the product
/// (`0.07500000000000001` → `0.075`); rounding to 1e-9 ms keeps every grid point distinct
/// for any dt ≥ 1e-8 ms.
pub fn format_time(t: f64) -> String {
    let rounded = (t * 1e9).round() / 1e9;
    format!("{}", if rounded == 0.0 { 0.0 } else { rounded })
}

/// A recorded value in its declared unit, at full precision (shortest round-trip form).
pub fn format_value(internal: f64, scale: f64) -> String {
    let shown = if scale == 1.0 {
        internal
    } else {
        internal / scale
    };
    format!("{shown}")
}

/// Streams recorded rows to a CSV file: `t [ms],V [mV],…`.
pub struct CsvTrace {
    writer: BufWriter<File>,
    scales: Vec<f64>,
    population: usize,
    line: String,
}

impl CsvTrace {
    /// A trace of a population of `population` neurons written to `file` (typically a
    /// [`crate::files::StagedFile`]'s).
    pub fn new(file: File, population: usize) -> CsvTrace {
        CsvTrace {
            writer: BufWriter::new(file),
            scales: Vec::new(),
            population,
            line: String::new(),
        }
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl RecordSink for CsvTrace {
    fn begin(&mut self, columns: &[Column]) -> Result<(), SinkError> {
        self.scales = columns.iter().map(|c| c.unit.scale).collect();
        let mut header = String::from("t [ms]");
        for column in columns {
            header.push(',');
            header.push_str(&ColumnLabel::of(column, self.population).to_string());
        }
        writeln!(self.writer, "{header}")?;
        Ok(())
    }

    fn record(&mut self, t: f64, values: &[f64]) -> Result<(), SinkError> {
        use std::fmt::Write as _;
        self.line.clear();
        self.line.push_str(&format_time(t));
        for (value, scale) in values.iter().zip(&self.scales) {
            let _ = write!(self.line, ",{}", format_value(*value, *scale));
        }
        self.line.push('\n');
        self.writer.write_all(self.line.as_bytes())?;
        Ok(())
    }
}

/// Streams spikes to a CSV file: `neuron,t [ms]`, one row per spike, ordered by time;
/// `neuron,t [ms],event` when the model has more than one spike event, the event being
/// the number of its `on` block in file order (from 0, silent blocks included).
pub struct CsvSpikes {
    writer: BufWriter<File>,
    event_column: bool,
}

impl CsvSpikes {
    /// Spikes of a program with `events` written to `file`, after the header line.
    pub fn new(file: File, events: &[EventProgram]) -> std::io::Result<CsvSpikes> {
        let spike_events = events.iter().filter(|e| e.kind == EventKind::Spike);
        // With one kind of spike the column would say nothing, and the file keeps the
        // two columns it always had.
        let event_column = spike_events.count() > 1;
        let mut writer = BufWriter::new(file);
        if event_column {
            writeln!(writer, "neuron,t [ms],event")?;
        } else {
            writeln!(writer, "neuron,t [ms]")?;
        }
        Ok(CsvSpikes {
            writer,
            event_column,
        })
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl SpikeSink for CsvSpikes {
    fn spike(&mut self, neuron: u32, t: f64, event: usize) -> Result<(), SinkError> {
        if self.event_column {
            writeln!(self.writer, "{neuron},{t},{event}")?;
        } else {
            writeln!(self.writer, "{neuron},{t}")?;
        }
        Ok(())
    }
}

/// Streams a network's spikes to a CSV file: `population,neuron,t [ms]`, ordered by time,
/// then population in file order, then neuron (the order the network runtime emits them).
pub struct CsvNetworkSpikes {
    writer: BufWriter<File>,
    names: Vec<String>,
}

impl CsvNetworkSpikes {
    /// Spikes of the populations `names` (in file order) written to `file`.
    pub fn new(file: File, names: Vec<String>) -> std::io::Result<CsvNetworkSpikes> {
        let mut writer = BufWriter::new(file);
        writeln!(writer, "population,neuron,t [ms]")?;
        Ok(CsvNetworkSpikes { writer, names })
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl galvani_netrun::NetworkSpikeSink for CsvNetworkSpikes {
    fn spike(
        &mut self,
        population: usize,
        neuron: u32,
        t: f64,
        _event: usize,
    ) -> Result<(), SinkError> {
        let name = self.names.get(population).map_or("?", String::as_str);
        writeln!(self.writer, "{name},{neuron},{t}")?;
        Ok(())
    }
}

/// The SHA-256 of `bytes` as lowercase hex (the model's fingerprint in a sidecar).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A path as JSON, losslessly: its text when it is UTF-8, otherwise (a Linux path is any
/// bytes but `/` and NUL) an object `{"utf8_lossy": TEXT, "bytes_hex": HEX}` whose hex
/// string gives the exact bytes back (`m\xff.gal` → `{"utf8_lossy": "m\u{FFFD}.gal",
/// "bytes_hex": "6dff2e67616c"}`).
pub fn path_json(path: &Path) -> serde_json::Value {
    match path.to_str() {
        Some(text) => serde_json::Value::String(text.to_string()),
        None => {
            #[cfg(unix)]
            let bytes: Vec<u8> = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
            #[cfg(not(unix))]
            let bytes: Vec<u8> = path.to_string_lossy().as_bytes().to_vec();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            serde_json::json!({
                "utf8_lossy": path.to_string_lossy(),
                "bytes_hex": hex,
            })
        }
    }
}

/// `out.csv` → `out.csv.json`: the sidecar of a written file.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Stages the sidecar of `path`: `provenance` (how the run was made) plus what this file
/// holds. Keys are sorted (serde_json's map), so the bytes are deterministic. It replaces
/// an earlier sidecar only when committed, with the file it describes.
pub fn stage_sidecar(
    path: &Path,
    what: &str,
    provenance: &serde_json::Value,
) -> std::io::Result<StagedFile> {
    let mut value = provenance.clone();
    if let Some(map) = value.as_object_mut() {
        map.insert("file".into(), path_json(path));
        map.insert("contents".into(), serde_json::Value::String(what.into()));
    }
    let mut text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    text.push('\n');
    let staged = StagedFile::create(&sidecar_path(path))?;
    staged.file()?.write_all(text.as_bytes())?;
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_times_print_cleanly() {
        assert_eq!(format_time(3.0 * 0.025), "0.075");
        assert_eq!(format_time(0.0), "0");
        assert_eq!(format_time(100.0), "100");
        assert_eq!(format_time(-0.0), "0");
    }

    #[test]
    fn sidecar_names() {
        assert_eq!(
            sidecar_path(Path::new("out/v.csv")),
            PathBuf::from("out/v.csv.json")
        );
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

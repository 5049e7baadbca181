//! Compresses the built app's assets once, at build time (`x.wasm` → `x.wasm.br` and `x.wasm.gz`, at the highest
//! levels), so the proxy serves them as they are (its `ServeDir` looks for these files) instead of compressing
//! 1.6 MB of wasm on every first load: brotli at its default level took 150 ms per request in a release proxy and
//! 580 ms in a debug one.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// What is worth compressing: the wasm, its JavaScript loader and the stylesheet (the HTML is small and its
/// headers are set per answer).
const EXTENSIONS: [&str; 3] = ["wasm", "js", "css"];

/// Writes `.br` and `.gz` beside every asset in `dist`; returns the sizes of the wasm's three forms, if any.
pub fn precompress(dist: &Path) -> anyhow::Result<Option<(usize, usize, usize)>> {
    let mut wasm = None;
    for entry in std::fs::read_dir(dist).context("reading the dist folder")?.flatten() {
        let path = entry.path();
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !EXTENSIONS.contains(&extension) {
            continue;
        }
        let raw = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let (gzip, brotli) = (gzip(&raw)?, brotli(&raw)?);
        std::fs::write(with_suffix(&path, "gz"), &gzip)?;
        std::fs::write(with_suffix(&path, "br"), &brotli)?;
        if extension == "wasm" {
            wasm = Some((raw.len(), gzip.len(), brotli.len()));
        }
    }
    Ok(wasm)
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

fn gzip(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw)?;
    Ok(encoder.finish()?)
}

fn brotli(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // Quality 11 (the highest), a 4 MiB window: once per build, so the time is spent where it is paid once.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(raw)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn both_forms_decompress_to_the_asset_and_only_assets_are_compressed() {
        let dir = std::env::temp_dir().join(format!("spotplan-precompress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let asset: Vec<u8> = (0..200_000_u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        std::fs::write(dir.join("app_bg.wasm"), &asset).unwrap();
        std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
        let (raw, gz, br) = precompress(&dir).unwrap().unwrap();
        assert_eq!(raw, asset.len());
        assert!(br < raw && gz < raw, "{raw} {gz} {br}");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&std::fs::read(dir.join("app_bg.wasm.gz")).unwrap()[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        let mut unbrotli = Vec::new();
        brotli::Decompressor::new(&std::fs::read(dir.join("app_bg.wasm.br")).unwrap()[..], 4096)
            .read_to_end(&mut unbrotli)
            .unwrap();
        assert_eq!((unzipped == asset, unbrotli == asset), (true, true));
        assert!(!dir.join("index.html.br").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

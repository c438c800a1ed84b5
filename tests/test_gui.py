"""The desktop app, driven by pytest-qt on the offscreen platform."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOOMSTUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ZOOMSTUDIO_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "config"


@pytest.fixture
def window(qtbot, config_dir):
    from zoomstudio.gui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()
    _delete(w)


def _delete(widget):
    """Really delete a window; its gc guard turns automatic collection back on once that is over (on
    the next turn of the event loop, run here)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()


def _open(qtbot, w, root):
    w.open_dataset(root)
    qtbot.waitUntil(lambda: w.datasets.index is not None and bool(w.inspector.previews), timeout=30000)


def test_opens_dataset_and_lists_sequences(qtbot, window, aligned_root):
    _open(qtbot, window, aligned_root)
    root_item = window.browser.tree.topLevelItem(0)
    names = [root_item.child(i).text(0) for i in range(root_item.childCount())]
    assert names == ["00001", "00002", "00003", "00004", "00005"]
    seq = window.datasets.index.sequence("00001")
    assert root_item.child(0).childCount() == len(seq.shots)
    assert "tform.txt: present" in root_item.child(0).toolTip(0)
    window.browser.filter.setText("0003")
    assert [root_item.child(i).isHidden() for i in range(5)] == [True, True, False, True, True]


def test_browser_shows_shot_details_thumbnails_and_broken_sequences(qtbot, window, synth_copy):
    (synth_copy / "00001" / "tform.txt").write_text("not a tform file\n")
    broken = synth_copy / "00009"
    broken.mkdir()
    (broken / "00001.ARW").write_bytes(b"x" * 5000)
    window.open_dataset(synth_copy)
    qtbot.waitUntil(lambda: window.datasets.index is not None, timeout=30000)
    root = window.browser.tree.topLevelItem(0)
    items = {root.child(i).text(0): root.child(i) for i in range(root.childCount())}
    assert "tform.txt: invalid" in items["00001"].toolTip(0)
    assert items["00009"].text(1) == "0 shots" and "usable shot" in items["00009"].toolTip(0)
    assert "not a RAW file" in items["00009"].toolTip(0)
    seq = window.datasets.index.sequence("00002")
    shot_row = items["00002"].child(0)
    shot = seq.shot(shot_row.text(0))
    assert shot_row.text(1) == f"{shot.focal_length:g} mm" and shot_row.text(2) == f"{shot.exif.iso:g}"
    assert shot_row.text(3).startswith("1/") and shot_row.text(3).endswith(" s")
    shots = [items["00002"].child(i) for i in range(items["00002"].childCount())]
    # shot rows get no icon but their thumbnail, loaded in the background
    qtbot.waitUntil(lambda: all(not s.icon(0).isNull() for s in shots), timeout=30000)


def test_fov_rectangles_match_focal_ratios(qtbot, window, aligned_root):
    _open(qtbot, window, aligned_root)
    seq = window.datasets.sequence
    wide_w = window.fov.wide.image.shape[1]
    widest = seq.shots[-1]
    assert len(window.fov.rects) == len(seq.shots) - 1
    for key, roi, label in window.fov.rects:
        shot = seq.shot(key)
        ratio = float(shot.focal_length) / float(widest.focal_length)
        assert roi.size()[0] == pytest.approx(wide_w / ratio, abs=1.0)
        assert f"{ratio:.2f}x" in label.toPlainText()


@pytest.mark.parametrize("mode", ["blend", "difference", "checkerboard", "blink", "mean"])
def test_inspector_modes_render(qtbot, window, aligned_root, mode):
    _open(qtbot, window, aligned_root)
    insp = window.inspector
    insp.mode.setCurrentText(mode)
    insp.show_key("00002")
    before, after = insp.before.image, insp.after.image
    assert before is not None and after is not None and before.shape == after.shape
    if mode == "difference":  # aligned frames differ less from the reference than unaligned ones
        assert after.mean() <= before.mean() + 1e-6
    frame = next(f for f in json.loads((window.datasets.sequence.path / "align.json").read_text())["frames"]
                 if f["key"] == "00002")
    assert f"ECC score {frame['score']}" in insp.info.toPlainText()
    assert f"shift {frame['shift_px']:.2f} px" in insp.info.toPlainText()


def test_realign_writes_tform(qtbot, window, synth_copy):
    _open(qtbot, window, synth_copy)
    seq_dir = window.datasets.sequence.path
    assert not (seq_dir / "tform.txt").exists()
    window.inspector.motion.setCurrentText("affine")
    window.inspector.realign.click()
    qtbot.waitUntil(lambda: (seq_dir / "tform.txt").exists() and not window.datasets.align_job.running,
                    timeout=60000)
    assert json.loads((seq_dir / "align.json").read_text())["motion"] == "affine"
    assert "present" in window.browser.tree.topLevelItem(0).child(0).toolTip(0)


def test_realign_cancel_writes_nothing(qtbot, window, synth_copy):
    _open(qtbot, window, synth_copy)
    seq_dir = window.datasets.sequence.path
    window.inspector.realign.click()
    window.inspector.cancel.click()
    qtbot.waitUntil(lambda: not window.datasets.align_job.running, timeout=60000)
    assert "cancelled" in window.job_label.text() and not (seq_dir / "tform.txt").exists()
    assert window.inspector.realign.isEnabled()


def test_training_plots_and_stop_with_checkpoint(qtbot, window, tiny_config, tmp_path):
    import dataclasses

    panel = window.training
    panel.set_config(dataclasses.replace(tiny_config, steps=200, val_every=0, checkpoint_every=0))
    window.settings.runs_dir = str(tmp_path / "runs")
    panel.start.click()
    qtbot.waitUntil(lambda: panel.point_count("total") >= 3, timeout=120000)
    assert panel.point_count("cobi_rgb") >= 3
    panel.stop.click()
    qtbot.waitUntil(lambda: not window.trainer.job.running, timeout=60000)
    assert "cancelled" in panel.status.text()
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "checkpoints" / "last.safetensors").exists()
    assert panel.runs.count() == 1


def test_training_form_round_trips_and_validates_with_lpips(qtbot, window, tiny_config, tmp_path):
    import dataclasses

    panel = window.training
    cfg = dataclasses.replace(tiny_config, steps=2, val_every=2, val_lpips=True, checkpoint_every=0)
    png = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, input="png"),
                              net=dataclasses.replace(cfg.net, in_channels=3))
    panel.set_config(png)
    assert panel.input_kind.currentText() == "png" and panel.config() == png  # the paper's png control
    panel.input_kind.setCurrentText("syn-raw")
    assert panel.config().data.input == "syn-raw" and panel.config().net.in_channels == 4
    panel.set_config(cfg)
    assert panel.config() == cfg  # every field the form shows goes back unchanged
    window.settings.runs_dir = str(tmp_path / "runs")
    panel.start.click()
    qtbot.waitUntil(lambda: not window.trainer.job.running and panel.point_count("psnr") == 1, timeout=120000)
    assert panel.point_count("lpips") == 1 and panel.point_count("ssim") == 1


def test_training_problems_reach_the_screen(qtbot, window):
    from zoomstudio.core.events import Problem

    panel = window.training
    assert not panel.warnings.isVisible()
    panel.on_event(Problem("runs/x/checkpoints/last.safetensors", "truncated; resuming from step_0000500 instead"))
    assert panel.warnings.isVisibleTo(panel) and "resuming from step_0000500" in panel.warnings.text()


def test_training_presets_fill_the_form_and_keep_the_data_root(qtbot, window, aligned_root):
    from zoomstudio.core.resources import config_path
    from zoomstudio.core.train import load_config
    from zoomstudio.gui.system import gpu_count

    panel = window.training
    assert panel.preset.currentText() == ("paper-4x" if gpu_count() else "default-4x")
    _open(qtbot, window, aligned_root)
    assert panel.data_root.text() == str(aligned_root)
    panel.apply_preset("paper-4x")
    paper = load_config(config_path("paper-4x"))
    cfg = panel.config()
    assert cfg.data.root == str(aligned_root) and cfg.net == paper.net and cfg.steps == paper.steps
    assert cfg.loss == paper.loss and cfg.data.patch == paper.data.patch


def _start_long_training(qtbot, window, tiny_config, tmp_path):
    """Start a 500-step run from the panel and wait for its first plotted step; returns the panel."""
    import dataclasses

    panel = window.training
    panel.set_config(dataclasses.replace(tiny_config, steps=500, val_every=0, checkpoint_every=0))
    window.settings.runs_dir = str(tmp_path / "runs")
    panel.start.click()
    qtbot.waitUntil(lambda: panel.point_count("total") >= 1, timeout=120000)
    return panel


def test_closing_during_training_asks_then_stops_the_child_with_a_checkpoint(qtbot, window, tiny_config, tmp_path,
                                                                            monkeypatch):
    import multiprocessing

    from PySide6.QtWidgets import QMessageBox

    panel = _start_long_training(qtbot, window, tiny_config, tmp_path)
    children = multiprocessing.active_children()
    assert any(p.name.startswith("zoomstudio-job") for p in children)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.No)
    assert not window.close() and window.isVisible() and window.trainer.job.running  # "No" keeps it running
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.Yes)
    assert window.close() and len(asked) == 2
    # close() returned after the child saved and exited; the queued events still reach the panel
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("zoomstudio-job")]
    qtbot.waitUntil(lambda: not window.trainer.job.running and "cancelled" in panel.status.text(), timeout=10000)
    (run,) = list((tmp_path / "runs").iterdir())
    assert (run / "checkpoints" / "last.safetensors").exists()


def test_a_training_process_that_dies_shows_an_error_and_the_app_keeps_working(qtbot, window, tiny_config,
                                                                                tmp_path):
    import multiprocessing
    import os
    import signal

    panel = _start_long_training(qtbot, window, tiny_config, tmp_path)
    (child,) = [p for p in multiprocessing.active_children() if p.name.startswith("zoomstudio-job")]
    os.kill(child.pid, signal.SIGKILL)  # as the kernel's OOM killer would
    qtbot.waitUntil(lambda: not window.trainer.job.running, timeout=30000)
    assert window.errors_shown and "exited with code -9" in window.errors_shown[-1]
    assert panel.start.isEnabled()  # ready for the next run


def test_past_runs_overlay_their_curves_and_evaluate_in_compare(qtbot, window, tiny_config, aligned_root, tmp_path):
    import dataclasses

    from zoomstudio.core.train import train

    runs_dir = tmp_path / "runs"
    for name in ("a", "b"):
        cfg = dataclasses.replace(tiny_config, name=name, steps=2, val_every=2, runs_dir=str(runs_dir))
        assert list(train(cfg))[-1].reason == "completed"
    window.settings.runs_dir = str(runs_dir)
    window.trainer.refresh_runs()
    panel = window.training
    assert panel.runs.count() == 2
    panel.runs.selectAll()
    loss_curves = [k for k in panel.series if k.endswith(" loss")]
    psnr_curves = [k for k in panel.series if k.endswith(" PSNR")]
    assert len(loss_curves) == 2 and len(psnr_curves) == 2
    assert all(panel.series[k][0] == [1.0, 2.0] for k in loss_curves)
    _open(qtbot, window, aligned_root)
    panel.runs.setCurrentRow(1)
    panel.evaluate.click()
    qtbot.waitUntil(lambda: window.compare.report is not None, timeout=180000)
    assert "ours" in window.compare.report["methods"] and window.tabs.currentWidget() is window.compare


def test_resuming_a_run_from_the_app_can_train_it_longer(qtbot, window, tiny_config, tmp_path):
    import dataclasses

    from zoomstudio.core.train import load_config, train

    runs_dir = tmp_path / "runs"
    cfg = dataclasses.replace(tiny_config, steps=2, val_every=0, runs_dir=str(runs_dir))
    run = list(train(cfg))[-1].run_dir
    window.settings.runs_dir = str(runs_dir)
    window.trainer.refresh_runs()
    panel = window.training
    # nothing to resume until a run is chosen: no made-up target step either
    assert not panel.resume.isEnabled() and not panel.resume_steps.isEnabled()
    assert panel.resume_steps.text() == "select a run"
    panel.runs.setCurrentRow(0)
    assert panel.resume.isEnabled() and panel.resume_steps.isEnabled()
    assert panel.resume_steps.value() == 2  # the run's own total
    panel.resume_steps.setValue(3)
    panel.resume.click()
    qtbot.waitUntil(lambda: not window.trainer.job.running and "completed" in panel.status.text(), timeout=120000)
    assert load_config(Path(run) / "config.yaml").steps == 3  # the run now says what it trained to
    assert panel.runs.item(0).text().split(": ")[1].startswith("3 steps")


def test_compare_shows_a_controls_table(qtbot, window, tmp_path):
    """A ``zoomstudio experiment controls`` table.json opens in Compare with the paper's numbers beside ours;
    a file that is not a report is one sentence, and the app goes on."""
    import json

    from zoomstudio.core.experiments.controls import format_table
    from zoomstudio.core.metrics.methods import reported

    methods = {k: {"psnr": 20.0 + i, "ssim": 0.5, "lpips": 0.3, "delta_e": 5.0, "reported": reported(4, k)}
               for i, k in enumerate(("bicubic", "png", "syn-raw", "ours"))}
    table = {"scale": 4, "data": "d", "steps": 1200, "seed": 0, "recipe": "default4x", "pairs": 6,
             "protocol": {}, "protocol_text": "euclidean alignment", "methods": methods}
    (tmp_path / "table.json").write_text(json.dumps(table))
    assert window.compare.open_report_file(tmp_path / "table.json")
    cells = [window.compare.table.item(r, 0).text() for r in range(window.compare.table.rowCount())]
    assert cells[:4] == ["bicubic", "bicubic (reported)", "png", "png (reported)"] and len(cells) == 8
    assert "1200 training steps" in window.compare.protocol.text()
    assert "Ours > Ours-syn-raw > Ours-png" in format_table(table) and "| Ours-png | 0.5000 | 21.00 |" in format_table(table)
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert not window.compare.open_report_file(tmp_path / "bad.json")
    assert "cannot show it" in window.compare.protocol.text()


def test_compare_metrics_table(qtbot, window, aligned_root, tmp_path):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    _open(qtbot, window, aligned_root)
    window.evaluate_dataset(str(model))
    qtbot.waitUntil(lambda: window.compare.table.rowCount() >= 4, timeout=120000)
    cells = [window.compare.table.item(r, 0).text() for r in range(window.compare.table.rowCount())]
    assert cells == ["bicubic", "bicubic (reported)", "ours", "ours (reported)"]
    assert window.compare.table.item(1, 1).text() == "20.15"
    assert "euclidean" in window.compare.protocol.text()
    assert list(window.compare.images) == ["bicubic", "ours", "ground truth"]
    shapes = {img.shape for img in window.compare.images.values()}
    assert len(shapes) == 1  # the same region, side by side


def test_evaluation_in_the_app_uses_the_models_zoom(qtbot, window, aligned_root, tmp_path):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    _open(qtbot, window, aligned_root)
    window.zoom.scale.setCurrentText("2")  # no bundled 2X model: said at once, nothing starts
    window.evaluate_dataset()
    assert "No bundled 2X model" in window.errors_shown[-1] and not window.evaluator.job.running
    model = save_weights(tmp_path / "m2.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8, zoom=2)))
    window.zoom.model.setText(str(model))
    window.compare.max_pairs.setValue(1)
    window.evaluate_dataset()
    qtbot.waitUntil(lambda: window.compare.report is not None and not window.evaluator.job.running, timeout=120000)
    assert window.compare.report["scale"] == 2 and "2X)" in window.compare.protocol.text()
    window.evaluate_dataset(str(tmp_path / "m2.safetensors.missing"))
    assert "not a ZoomStudio model" in window.errors_shown[-1]


def test_compare_picks_pairs_and_external_baselines(qtbot, window, aligned_root, tmp_path, esrgan_file):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    compare = window.compare
    assert compare.add_baseline_file(esrgan_file(tmp_path / "RRDB_tiny_x4.pth")) == "rrdb_tiny_x4"
    assert compare.add_baseline_file(esrgan_file(tmp_path / "ESRGAN_x4.pth", seed=1)) == "esrgan"
    _open(qtbot, window, aligned_root)
    window.zoom.model.setText(str(model))
    compare.max_pairs.setValue(3)
    compare.evaluate.click()
    assert not compare.evaluate.isEnabled()  # one evaluation at a time
    qtbot.waitUntil(lambda: compare.report is not None and compare.evaluate.isEnabled(), timeout=180000)
    names = [compare.table.item(r, 0).text() for r in range(compare.table.rowCount())]
    assert names == ["bicubic", "bicubic (reported)", "rrdb_tiny_x4", "esrgan", "esrgan (reported)", "ours",
                     "ours (reported)"]
    pairs = compare.report["pairs"]
    assert pairs == 3 and compare.pair.count() == pairs and not compare.pair.isHidden()
    # five images per pair: four panes show bicubic, the chosen baseline, ours and the ground truth
    assert not compare.baseline.isHidden() and compare.baseline.count() == 2
    assert list(compare.images) == ["bicubic", "rrdb_tiny_x4", "ours", "ground truth"]
    compare.baseline.setCurrentText("esrgan")
    assert list(compare.images) == ["bicubic", "esrgan", "ours", "ground truth"]
    first = compare.images["ground truth"].copy()
    compare.pair.setCurrentIndex(1)
    second_pair = compare.report["previews"][1]["pair"]
    assert compare.panes[3].title.text() == f"ground truth   {second_pair}"
    assert not np.array_equal(first, compare.images["ground truth"])
    row = compare.report["per_pair"][1]
    ours = row["ours"]
    lp = f", LPIPS {ours['lpips']:.3f}" if ours.get("lpips") is not None else ""
    assert compare.panes[2].title.text() == f"ours   {ours['psnr']:.2f} dB, SSIM {ours['ssim']:.3f}{lp}"


def test_evaluation_shows_progress_and_cancels(qtbot, window, aligned_root):
    _open(qtbot, window, aligned_root)
    compare = window.compare
    compare.max_pairs.setValue(0)  # all pairs
    compare.evaluate.click()
    assert compare.cancel_evaluation.isEnabled() and not compare.progress.isHidden()
    qtbot.waitUntil(lambda: compare.progress.maximum() > 1, timeout=120000)  # the first pair reported
    compare.cancel_evaluation.click()
    qtbot.waitUntil(lambda: not window.evaluator.job.running, timeout=60000)
    assert "cancelled" in window.job_label.text() and compare.report is None
    assert compare.evaluate.isEnabled() and compare.progress.isHidden()


def test_first_launch_builds_and_opens_the_demo_dataset(qtbot, window):
    from zoomstudio.gui.app import demo_root, start_demo

    start_demo(window)
    qtbot.waitUntil(lambda: window.datasets.index is not None and len(window.datasets.index.sequences) == 4, timeout=120000)
    assert window.datasets.index.root == demo_root()
    assert all(s.has_tform and s.has_wb for s in window.datasets.index.sequences)
    assert window.settings.recent_datasets[0] == str(demo_root())


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)


def test_drop_real_raw_zooms_and_malformed_shows_error(qtbot, window, arw_path, malformed_paths, tmp_path):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    window.zoom.model.setText(str(model))
    window.zoom.custom_region.setChecked(True)
    window.zoom.roi.setPos((2000, 1200))
    window.zoom.roi.setSize((48, 32))
    window.zoom.preview_scale = 1.0
    _drop(window, [arw_path, malformed_paths[0]])
    qtbot.waitUntil(lambda: bool(window.errors_shown), timeout=30000)  # files are checked in a worker
    assert str(malformed_paths[0]) in window.errors_shown[-1]
    qtbot.waitUntil(lambda: bool(window.zooming.results) and not window.zooming.job.running, timeout=120000)
    result = window.zooming.results[-1]
    assert result["image"].shape == (32 * 4, 48 * 4, 3)
    assert set(window.compare.images) == {"bicubic", "ours"}
    assert window.zoom.state(arw_path) == "done" and window.zoom.state(malformed_paths[0]) is None
    assert window.zooming.default_save_path("tiff") == arw_path.with_name(f"{arw_path.stem}_zoom4x.tif")
    window.settings.output_dir = str(tmp_path / "zoomed")  # Preferences > Output folder
    assert window.zooming.default_save_path("png") == tmp_path / "zoomed" / f"{arw_path.stem}_zoom4x.png"
    assert window.zooming.save("tiff", str(tmp_path / "out.tif"))  # written in a worker
    qtbot.waitUntil(lambda: not window.zooming.save_job.running and window.zooming.last_saved is not None,
                    timeout=30000)
    saved = window.zooming.last_saved
    assert saved == tmp_path / "out.tif" and "saved" in window.zoom.status.text()
    from zoomstudio.core.infer import read_image

    assert read_image(saved).shape == (128, 192, 3)
    import tifffile

    with tifffile.TiffFile(saved) as tif:  # 16-bit, with the camera's EXIF kept
        page = tif.pages[0]
        assert page.dtype.name == "uint16" and page.tags["Make"].value.startswith("SONY")
        assert page.tags["ExifTag"].value["FocalLength"][0] / page.tags["ExifTag"].value["FocalLength"][1] == 129
    window.zoom.fmt.setCurrentText("dng")  # a LinearRaw DNG with the camera's colorimetry, also off the GUI thread
    assert window.zooming.save("dng", str(tmp_path / "out.dng"))
    qtbot.waitUntil(lambda: not window.zooming.save_job.running and window.zooming.last_saved.suffix == ".dng",
                    timeout=30000)
    import rawpy

    with rawpy.imread(str(tmp_path / "out.dng")) as raw:
        assert raw.num_colors == 3 and raw.camera_whitebalance[0] > 1.5  # the A7R III's as-shot red gain


def test_zoom_preview_region_and_zoom_again(qtbot, window, synth_copy, tmp_path):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    dng = synth_copy / "00001" / "00003.DNG"  # 320x240 sensor
    zoom = window.zoom
    zoom.model.setText(str(model))
    window.zooming.add_files([dng])
    qtbot.waitUntil(lambda: zoom.preview_path == str(dng) and zoom.state(dng) == "done"
                    and not window.zooming.job.running, timeout=60000)
    assert zoom.preview.image.shape[:2] == (120, 160) and zoom.preview_scale == 0.5  # half-size render
    assert tuple(zoom.roi.size()) == (40, 30) and zoom.region() is None  # the centre quarter, by default
    assert window.zooming.results[-1]["roi"] == (120, 90, 80, 60)
    zoom.roi.setPos((10, 20))  # the user drags the rectangle: that region is used from now on
    zoom.roi.setSize((30, 20))
    assert zoom.custom_region.isChecked() and zoom.region() == (20, 40, 60, 40)
    from zoomstudio.gui.preferences import PreferencesDialog

    prefs = PreferencesDialog(window.settings, window, gpus=0)  # Preferences > Zoom precision: float32
    prefs.precision.setCurrentIndex(prefs.precision.findData("fp32"))
    prefs.apply()
    zoom.queue.setCurrentRow(0)
    zoom.queue.item(0).setSelected(True)
    zoom.requeue.click()
    assert zoom.state(dng) == "pending" and window.zooming.job.running and not window.zooming.results
    qtbot.waitUntil(lambda: bool(window.zooming.results) and not window.zooming.job.running, timeout=60000)
    assert window.zooming.results[-1]["roi"] == (20, 40, 60, 40)
    assert window.zooming.results[-1]["precision"] == "float32"
    assert window.zooming.results[-1]["image"].shape == (160, 240, 3) and zoom.state(dng) == "done"
    # the colours choice reaches the zoom: LibRaw's rendering, bicubic with the same colours
    assert window.zooming.results[-1]["colour"] == "camera"  # the default; the synthetic DNG has its JPEG beside it
    zoom.colour.setCurrentIndex(zoom.colour.findData("libraw"))
    zoom.requeue.click()
    qtbot.waitUntil(lambda: bool(window.zooming.results) and not window.zooming.job.running, timeout=60000)
    result = window.zooming.results[-1]
    assert result["colour"] == "libraw" and result["bicubic"].shape == result["image"].shape
    assert "libraw colours" in zoom.status.text()
    # three runs on one file: one decode (shared with the preview), one model load
    assert window.zooming.stats() == {"decodes": 1, "model_loads": 1}


def test_files_added_while_a_zoom_runs_are_zoomed_after_it(qtbot, window, synth_copy, tmp_path):
    from zoomstudio.core.nets import NetConfig, ZoomNet, save_weights

    model = save_weights(tmp_path / "m.safetensors", ZoomNet(NetConfig(width=8, blocks=1, up_width=8)))
    first, second = synth_copy / "00001" / "00003.DNG", synth_copy / "00002" / "00003.DNG"
    window.zoom.model.setText(str(model))
    window.zooming.add_files([first])
    qtbot.waitUntil(lambda: window.zooming.job.running, timeout=30000)
    window.zooming.add_files([second])  # the running job took its file list already
    qtbot.waitUntil(lambda: window.zoom.state(second) == "done" and not window.zooming.job.running, timeout=60000)
    assert window.zoom.state(first) == "done"


def test_zoom_uses_the_preferred_device(qtbot, window, arw_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the message for a missing GPU")
    window.settings.device = "cuda:0"  # Preferences > Device
    window.zooming.add_files([arw_path])
    qtbot.waitUntil(lambda: not window.zooming.job.running and bool(window.errors_shown), timeout=60000)
    assert "CUDA is not available" in window.errors_shown[-1] and not window.zooming.results
    assert window.zoom.queued() == [arw_path]  # kept for a retry on another device


def test_settings_persist_across_two_windows(qtbot, config_dir, aligned_root):
    from zoomstudio.gui.main_window import MainWindow

    w1 = MainWindow()
    qtbot.addWidget(w1)
    w1.show()
    w1.resize(700, 650)
    from PySide6.QtWidgets import QDockWidget

    dock = w1.findChild(QDockWidget, "sequences")
    w1.addDockWidget(Qt.RightDockWidgetArea, dock)  # the user moved the browser to the right
    w1.settings.device = "cpu"
    w1.zoom.model.setText("/models/x.safetensors")
    _open(qtbot, w1, aligned_root)
    height = w1.size().height()
    w1.shutdown()
    w1.close()
    _delete(w1)
    w2 = MainWindow()
    qtbot.addWidget(w2)
    assert w2.settings.recent_datasets[0] == str(aligned_root)
    assert w2.settings.device == "cpu" and w2.zoom.model.text() == "/models/x.safetensors"
    from PySide6.QtWidgets import QDockWidget

    assert w2.dockWidgetArea(w2.findChild(QDockWidget, "sequences")) == Qt.RightDockWidgetArea
    assert w2.size().height() == height
    w2.shutdown()
    _delete(w2)


def test_main_window_keeps_torch_out_of_the_gui_process(config_dir, tmp_path, arw_path):
    """Start-up time and event-loop gaps depend on it: training and evaluation load torch in their child,
    the region preview and the zoom in the zoom service's."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from zoomstudio.gui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "w.compare.baselines(); w.training.config()\n"
        "from zoomstudio.gui.preferences import PreferencesDialog\n"
        "d = PreferencesDialog(w.settings, w); assert d.device.findText('cpu') >= 0\n"
        "expected = 'Device: auto (cuda)' if w.gpus else 'Device: auto (cpu)'\n"
        "assert w.device_label.text() == expected, w.device_label.text()\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "import time\n"
        "from pathlib import Path\n"
        "w.zoom.custom_region.setChecked(True); w.zoom.roi.setPos((2000, 1200)); w.zoom.roi.setSize((32, 32))\n"
        "w.zoom.preview_scale = 1.0\n"
        f"w.zooming.add_files([Path({str(arw_path)!r})])\n"
        "end = time.time() + 120\n"
        "while time.time() < end and not (w.zooming.results and not w.zooming.job.running):\n"
        "    app.processEvents(); time.sleep(0.01)\n"
        "assert w.zooming.results[-1]['image'].shape == (128, 128, 3)\n"
        "assert 'torch' not in sys.modules, 'torch imported by the zoom'\n"
        "w.shutdown(); print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_garbage_is_collected_on_the_gui_thread_only(qtbot):
    import gc
    import threading
    import weakref

    from PySide6.QtWidgets import QWidget

    from zoomstudio.gui.gc_guard import GuiThreadGarbageCollector

    class Cycle:
        pass

    from zoomstudio.gui import gc_guard

    assert gc.isenabled() and gc_guard._holders == 0  # every earlier window was deleted
    owner = QWidget()
    guard = GuiThreadGarbageCollector(owner, interval_ms=10)
    assert not gc.isenabled()
    refs = []

    def make_garbage():  # a worker making cycles must not trigger a collection
        for _ in range(5 * gc.get_threshold()[0]):
            c = Cycle()
            c.self = c
            refs.append(weakref.ref(c))

    worker = threading.Thread(target=make_garbage)
    worker.start()
    worker.join()
    assert sum(r() is not None for r in refs) == len(refs)
    qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=5000)  # the GUI-thread timer did it
    # while the owner's children are being deleted, automatic collection stays off: a collection inside
    # that deletion destroyed other wrappers re-entrantly and deadlocked on a Qt mutex (seen in this suite)
    child = QWidget(owner)
    during = []
    child.destroyed.connect(lambda *_: during.append(gc.isenabled()))
    del guard, child
    _delete(owner)
    assert during == [False] and gc_guard._holders == 0
    qtbot.waitUntil(gc.isenabled, timeout=5000)  # back on once the deletion is over


def test_signal_emit_keeps_reference_counts():
    """PySide6 6.12.0 dropped a reference to True per emit: after ~2000 events the app aborted."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        plain = Signal()
        value = Signal(object)

    e = Emitter()
    e.value.connect(lambda v: None)
    before = (sys.getrefcount(True), sys.getrefcount(False))
    for i in range(500):
        e.plain.emit()
        e.value.emit(i)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before


def test_compare_teaches_when_empty_then_fills_its_panes(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    compare = window.compare
    window.tabs.setCurrentWidget(compare)
    assert compare.stack.currentWidget() is compare.empty and compare.view_tools.isHidden()
    # the actions share one bar: one row, left to right
    bar = [compare.evaluate, compare.max_pairs, compare.cancel_evaluation, compare.add_baseline,
           compare.remove_baseline, compare.open_table]
    assert len({b.geometry().center().y() for b in bar}) == 1
    assert [b.x() for b in bar] == sorted(b.x() for b in bar)
    assert compare.table.isHidden() and compare.baselines_box.isHidden()
    asked = []  # the user's file dialog is the boundary: it answers "cancelled"
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: asked.append(a) or ([], ""))
    compare.empty_buttons[1].click()
    assert len(asked) == 1 and not window.zooming.check_job.running
    rng = np.random.default_rng(0)
    a, b = rng.random((60, 80, 3), np.float32), rng.random((60, 80, 3), np.float32)
    compare.set_images({"bicubic": a, "ours": b})
    assert compare.stack.currentWidget() is not compare.empty and not compare.view_tools.isHidden()
    assert compare.split.isChecked() and compare.visible_panes() == [compare.panes[0]]  # two: split by default
    pane = compare.panes[0]
    compare.fit_button.click()
    rect = pane.box.viewRect()
    assert rect.width() >= 80 - 0.5 and rect.height() >= 60 - 0.5  # the whole image, filling the pane
    assert min(rect.width() - 80, rect.height() - 60) < 1.0
    compare.one_to_one.click()
    assert pane.screen_pixels_per_image_pixel() == pytest.approx(1.0, rel=0.02)
    compare.split.click()  # the user's choice stays
    compare.set_images({"bicubic": a, "ours": b})
    assert not compare.split.isChecked() and len(compare.visible_panes()) == 2


def test_compare_reads_out_and_magnifies_the_same_pixel_in_every_pane(qtbot, window):
    from zoomstudio.gui.images import magnified, to_display
    from zoomstudio.gui.panes import LOUPE_MAGNIFY, LOUPE_RADIUS

    compare = window.compare
    window.tabs.setCurrentWidget(compare)
    rng = np.random.default_rng(1)
    images = {n: rng.random((40, 50, 3), np.float32) for n in ("bicubic", "ours", "ground truth")}
    compare.set_images(images)
    panes = compare.visible_panes()
    assert len(panes) == 3
    compare.loupe.setChecked(True)
    panes[1].hovered.emit(12, 7)  # the pointer over pixel (12, 7) of the second pane
    for pane, img in zip(panes, images.values()):
        r, g, b = to_display(img)[7, 12]
        assert pane.readout.text() == f"x    12  y     7   R {r:3d} G {g:3d} B {b:3d}"
        assert pane.loupe.isVisible()
        shown = pane.loupe.pixmap().toImage()
        expected = magnified(to_display(img), 12, 7, LOUPE_RADIUS, LOUPE_MAGNIFY)
        assert (shown.width(), shown.height()) == expected.shape[1::-1]
        centre = (LOUPE_RADIUS * LOUPE_MAGNIFY + LOUPE_MAGNIFY // 2)
        assert shown.pixelColor(centre, centre).getRgb()[:3] == tuple(int(v) for v in (r, g, b))
    compare.loupe.setChecked(False)
    assert not any(p.loupe.isVisible() for p in panes)


def test_zoom_tab_is_a_drop_zone_until_a_file_comes(qtbot, window, synth_copy, tmp_path, monkeypatch):
    from PySide6.QtCore import QPoint

    zoom = window.zoom
    window.tabs.setCurrentWidget(zoom)
    assert zoom.right.currentWidget() is zoom.drop_zone and zoom.drop_zone.isVisible()
    from PySide6.QtWidgets import QFileDialog

    dng = synth_copy / "00001" / "00003.DNG"
    asked = []  # the user's file dialog is the boundary: the user picks the DNG
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: asked.append(a) or ([str(dng)], ""))
    qtbot.mouseClick(zoom.drop_zone, Qt.LeftButton, pos=QPoint(20, 20))
    assert len(asked) == 1  # a click opens the file dialog
    qtbot.waitUntil(lambda: zoom.preview_path == str(dng), timeout=60000)
    assert zoom.right.currentWidget() is zoom.preview


def test_the_loupe_is_black_outside_an_image_and_never_fails():
    from zoomstudio.gui.images import magnified

    img = np.full((10, 12, 3), 200, np.uint8)
    for x, y, inside in ((0, 0, True), (11, 9, True), (30, 3, False), (-5, -5, False), (5, 40, False)):
        patch = magnified(img, x, y, 8, 10)
        assert patch.shape == (170, 170, 3) and (patch[85, 85] == 200).all() == inside

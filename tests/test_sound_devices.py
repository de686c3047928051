"""Sidekick through a real sound system: PortAudio's ``pulse`` devices on a private
PulseAudio server whose null sinks are the microphone and the speaker (tests/virtual_sound.py).
The child's reading is played into the microphone in real time with ``paplay``; what Sidekick
says is recorded from the speaker with ``parec``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio.base import SAMPLE_RATE
from sidekick.audio.sources import MicrophoneSource
from tests.helpers.ui import SIZE, pilot_test, text_of, wait_for


def _record(source: MicrophoneSource, seconds: float) -> np.ndarray:
    """``seconds`` of 16 kHz int16 PCM from the source."""
    pcm = bytearray()
    for chunk in source.chunks():
        pcm += chunk
        if len(pcm) >= seconds * SAMPLE_RATE * 2:
            source.close()
    return np.frombuffer(bytes(pcm), dtype=np.int16)


def _peak_hz(audio: np.ndarray, rate: int, lo: float, hi: float) -> tuple[float, float]:
    """The strongest frequency between lo and hi Hz, and its amplitude."""
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) / (len(audio) / 4)
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    i = np.argmax(np.where(band, spectrum, 0))
    return float(freqs[i]), float(spectrum[i])


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_stereo_microphone_at_its_own_rate_is_downmixed_and_resampled(
    sound_devices, tmp_path, rate
) -> None:
    """A 44.1/48 kHz stereo microphone: 440 Hz on the left and 1,000 Hz on the right come out
    as 16 kHz mono with both tones at half strength, at the right pitch (so at the right
    rate), and nothing above 8 kHz folded back into the speech band."""
    t = np.arange(int(rate * 3.0)) / rate
    stereo = np.stack([0.6 * np.sin(2 * np.pi * 440 * t), 0.6 * np.sin(2 * np.pi * 1000 * t)], 1)
    stereo[:, 0] += 0.3 * np.sin(2 * np.pi * 11_000 * t)  # must be filtered out, not aliased
    wav = tmp_path / "stereo.wav"
    sf.write(wav, stereo.astype(np.float32), rate)
    mic = MicrophoneSource(samplerate=rate, channels=2)
    assert (mic.device_rate, mic.channels) == (rate, 2)
    player = sound_devices.play_into_mic(wav)
    audio = _record(mic, 3.5).astype(np.float32) / 32768
    player.wait(timeout=10)
    loud = np.flatnonzero(np.abs(audio) > 0.1)
    assert len(loud) and loud[-1] - loud[0] > 2.5 * SAMPLE_RATE, "the tone did not come through"
    steady = audio[loud[0] + 1600 : loud[0] + 1600 + 2 * SAMPLE_RATE]  # 2 s inside the tone
    for hz in (440, 1000):
        found, amplitude = _peak_hz(steady, SAMPLE_RATE, hz - 100, hz + 100)
        assert abs(found - hz) <= 1.0
        assert amplitude == pytest.approx(0.3, rel=0.15)  # the channels are averaged
    # 11 kHz would alias to 16 - 11 = 5 kHz: nothing there.
    _, alias = _peak_hz(steady, SAMPLE_RATE, 4500, 5500)
    assert alias < 0.003


# -- the child's turn through the microphone ---------------------------------------------------

BOOK = "sam-and-the-red-hat"
STALL_S = 2.0
STUCK_WORD = "big"  # the child stops before this word of page 1 for longer than STALL_S
LEAD_S = 0.7  # silence before the child starts (the stream is open by then)


def _child_reading_with_stall(speak_to_wav, folder: Path, pause_s: float = STALL_S + 1.5):
    """Page 1 read aloud with a long stop before STUCK_WORD, then the rest from the word after
    it (Sidekick said it meanwhile). Returns the WAV and the time the stop starts."""
    from sidekick.books.library import find_book

    page = find_book(BOOK).pages[0]
    before, after = page.text.split(f" {STUCK_WORD} ", 1)
    a = sf.read(speak_to_wav(before, folder / "a.wav", pause_s=0.0))
    b = sf.read(speak_to_wav(after, folder / "b.wav", pause_s=0.3))
    rate = a[1]
    audio = np.concatenate(
        [np.zeros(int(LEAD_S * rate)), a[0], np.zeros(int(pause_s * rate)), b[0]]
    )
    wav = folder / "child.wav"
    sf.write(wav, audio.astype(np.float32), rate)
    return wav, LEAD_S + len(a[0]) / rate


def _run_child_turn(settings, *, on_turn_start=None, max_s: float = 90.0) -> list:
    """Page 1 as a child turn (then stop); the session's events."""
    from sidekick.books.library import find_book
    from sidekick.turns import events as ev
    from sidekick.turns.session import ReadingSession

    events: list = []
    holder: list[ReadingSession] = []

    def on_event(e) -> None:
        events.append(e)
        if isinstance(e, ev.TurnStart) and on_turn_start is not None:
            on_turn_start(holder[0])
        if isinstance(e, ev.TurnEnd):
            holder[0].stop()

    session = ReadingSession(find_book(BOOK), settings, on_event)
    holder.append(session)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            session.run()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(max_s)
    if thread.is_alive():
        session.stop()
        thread.join(10)
        pytest.fail(f"the session did not end in {max_s} s")
    assert not errors, errors
    return events


def _end_when_played(player, session, extra_s: float = 4.0) -> None:
    """End the turn a moment after the recording has been played (if the tracker has not)."""

    def watch() -> None:
        player.wait()
        time.sleep(extra_s)
        session.end_turn()

    threading.Thread(target=watch, daemon=True).start()


def _of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.slow
def test_child_reading_into_the_microphone_is_followed_live_and_checked_like_the_file(
    sound_devices, speak_to_wav, tmp_path
) -> None:
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev

    page = find_book(BOOK).pages[0]
    stuck = next(w.index for w in page.words if w.text == STUCK_WORD)
    wav, stop_at = _child_reading_with_stall(speak_to_wav, tmp_path)
    common = dict(share=Share.TAKE_TURNS, stall_s=STALL_S, engine="pocketsphinx")

    def play(session) -> None:
        _end_when_played(sound_devices.play_into_mic(wav), session)

    live = _run_child_turn(
        Settings(**common, child_audio="mic", speech_out="speaker"), on_turn_start=play
    )
    from_file = _run_child_turn(
        Settings(**common, child_audio=str(wav), speech_out=str(tmp_path / "out"), realtime=False)
    )
    assert not [n.text for n in _of(live, ev.Notice) if "microphone" in n.text.lower()]
    # Followed live: nearly every word lit, the stuck word said after the stall time.
    lit = {e.index for e in _of(live, ev.WordRead)}
    lit_file = {e.index for e in _of(from_file, ev.WordRead)}
    assert len(lit ^ lit_file) <= 1, (sorted(lit), sorted(lit_file))
    assert len(lit) >= 0.85 * len(page.words), sorted(lit)
    helped = _of(live, ev.StuckWordHelped)
    assert [h.index for h in helped] == [stuck]
    assert stop_at + STALL_S - 0.3 <= helped[0].t <= stop_at + STALL_S + 1.5, helped[0].t
    # Checked with the same results as the file (a word's status may differ only where the
    # timing decides: a stall helped a little earlier or later).
    (check_live,) = _of(live, ev.ReadingChecked)
    (check_file,) = _of(from_file, ev.ReadingChecked)
    statuses = [
        (a["status"], b["status"]) for a, b in zip(check_live.words, check_file.words, strict=True)
    ]
    differ = [(i, a, b) for i, (a, b) in enumerate(statuses) if a != b]
    assert len(differ) <= 1 and all({a, b} <= {"correct", "assisted", "self_corrected"}
                                    for _, a, b in differ), differ  # fmt: skip
    assert statuses[stuck] == ("assisted", "assisted")
    assert abs(check_live.summary["words_correct"] - check_file.summary["words_correct"]) <= 1


# -- Sidekick's turn through the speaker -------------------------------------------------------


def _longest_gap(audio: np.ndarray, rate: int, floor_db: float = -50.0) -> float:
    """The longest run of silence (20 ms frames under ``floor_db`` dBFS) between the first
    and the last sound, in seconds."""
    frame = int(0.02 * rate)
    n = len(audio) // frame
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms) > floor_db)
    if len(loud) < 2:
        return 0.0
    return float(np.max(np.diff(loud)) - 1) * frame / rate


def _sidekick_reads_page(settings, *, during=None, max_s: float = 120.0) -> list:
    """Sidekick reads page 1 (then stop); ``during(session)`` runs at the turn's start."""
    return _run_child_turn(settings, on_turn_start=during, max_s=max_s)


@pytest.mark.slow
def test_sidekick_turn_through_the_speaker_is_understood_with_no_gaps(
    sound_devices, tmp_path, transcribe
) -> None:
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev
    from sidekick.turns.session import SENTENCE_GAP_S
    from tests.conftest import word_error_rate

    page = find_book(BOOK).pages[0]
    heard = tmp_path / "heard.wav"
    recorder = sound_devices.record_speaker(heard)
    time.sleep(0.3)
    common = dict(share=Share.SIDEKICK, voice="standard")
    events = _sidekick_reads_page(Settings(**common, speech_out="speaker"))
    time.sleep(0.3)
    recorder.terminate()
    recorder.wait(timeout=5)
    assert not _of(events, ev.Notice), _of(events, ev.Notice)
    audio, rate = sf.read(heard)
    assert np.abs(audio).max() > 0.1, "nothing came out of the speaker"
    text = transcribe(heard)
    assert word_error_rate(page.text, text) <= 0.15, text
    # The same turn written to a WAV file: the speaker adds no gap of its own.
    _sidekick_reads_page(Settings(**common, speech_out=str(tmp_path / "out")))
    written, written_rate = sf.read(next((tmp_path / "out").glob("*.wav")))
    gap, written_gap = _longest_gap(audio, rate), _longest_gap(written, written_rate)
    print(gap, written_gap)
    assert gap <= written_gap + 0.06, (gap, written_gap)
    assert gap <= SENTENCE_GAP_S + 0.3, gap


def _tone_with_waits(waits: list[float], rate: int):
    """0.3 s of tone after each wait: a slow start, a pause, a slow next sentence."""
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(0.3 * rate)) / rate)).astype(np.float32)
    for wait in waits:
        time.sleep(wait)
        yield tone


def test_the_chosen_speaker_is_used_and_a_missing_one_means_silence(sound_devices) -> None:
    """Reading turns, practice and the listening test open the speaker the settings name
    (one function for the first two), not the system's default; a speaker that is not there
    gives silence and a reason."""
    from sidekick.audio.sinks import SilentSink, SpeakerSink, open_output

    sink, reason = open_output("speaker", "pulse")
    assert isinstance(sink, SpeakerSink) and sink.device == "pulse" and reason is None
    sink, reason = open_output("speaker", "no such speaker")
    assert isinstance(sink, SilentSink) and "no such speaker" in str(reason), reason
    # The listening test plays on the chosen speaker too; a missing one stops it before it
    # starts, with the way out (a listening test in silence would be no test).
    from sidekick.errors import SidekickError
    from sidekick.speaking.preference import PreferencePlayer, PreferenceTest, Trial

    test = PreferenceTest("x", "y", [Trial(1, "Hi.", ("a", "b"))], seed=1)
    player = PreferencePlayer(test, voices={"a": 1, "b": 2}, device="pulse")
    player.prepare()
    assert isinstance(player.sink, SpeakerSink) and player.sink.device == "pulse"
    player = PreferencePlayer(test, voices={"a": 1, "b": 2}, device="no such speaker")
    with pytest.raises(SidekickError, match="no such speaker.*--speech-out FOLDER"):
        player.prepare()


def test_speaker_waiting_for_audio_or_paused_does_not_run_dry(sound_devices, tmp_path) -> None:
    from sidekick.audio.sinks import OUTPUT_LATENCY_S, SpeakerSink

    heard = tmp_path / "heard.wav"
    recorder = sound_devices.record_speaker(heard)
    time.sleep(0.3)
    sink = SpeakerSink()
    waits = [2 * OUTPUT_LATENCY_S, 0.0, 4 * OUTPUT_LATENCY_S, 0.0]
    sink.play_stream(_tone_with_waits(waits, 22_050), 22_050)
    time.sleep(0.3)
    recorder.terminate()
    recorder.wait(timeout=5)
    assert sink.underruns == 0
    audio, rate = sf.read(heard)
    frame = int(0.02 * rate)
    n = len(audio) // frame
    loud = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1)) > 0.05
    assert 4 * 0.3 - 0.1 <= loud.sum() * 0.02 <= 4 * 0.3 + 0.1, "all the tone was played"
    # the wait was played as silence, less what was queued before it (at most the latency)
    assert 3 * OUTPUT_LATENCY_S - 0.1 <= _longest_gap(audio, rate) <= 4 * OUTPUT_LATENCY_S + 0.3


# -- devices that disappear in the middle of a turn --------------------------------------------


class _Run:
    """A session on its own thread, its events in a list; the test steers it."""

    def __init__(self, settings, **kw) -> None:
        from sidekick.books.library import find_book
        from sidekick.turns.session import ReadingSession

        self.events: list = []
        self.errors: list[BaseException] = []
        self.session = ReadingSession(find_book(BOOK), settings, self.events.append, **kw)
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.session.run()
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def wait_for(self, what, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := what(self.events):
                return found
            assert self.thread.is_alive() or what(self.events), (self.errors, self.events[-5:])
            time.sleep(0.05)
        pytest.fail(f"timed out; last events: {self.events[-5:]}")

    def finish(self) -> None:
        self.session.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()
        assert not self.errors, self.errors


@pytest.mark.slow
def test_microphone_lost_mid_turn_becomes_a_manual_turn_and_loses_nothing(
    sound_devices, speak_to_wav, tmp_path
) -> None:
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev

    book = find_book(BOOK)
    wav = speak_to_wav(book.pages[0].text, tmp_path / "child.wav")
    run = _Run(Settings(share=Share.TAKE_TURNS, engine="pocketsphinx", voice="standard"))
    run.wait_for(lambda es: _of(es, ev.TurnStart))
    sound_devices.play_into_mic(wav)
    run.wait_for(lambda es: len(_of(es, ev.WordRead)) >= 6)
    sound_devices.stop()  # the sound system goes away mid-sentence
    lit = {e.index for e in _of(run.events, ev.WordRead)}
    notice = run.wait_for(lambda es: _of(es, ev.Notice), timeout=10)
    assert len(notice) == 1 and "microphone stopped working" in notice[0].text, notice
    assert "Press Enter" in notice[0].text
    time.sleep(1.0)
    assert not _of(run.events, ev.TurnEnd), "the turn must wait for the key, as a manual turn"
    run.session.end_turn()  # Enter
    (end,) = run.wait_for(lambda es: _of(es, ev.TurnEnd))
    assert end.reader == "child" and end.words_read >= len(lit)
    assert not _of(run.events, ev.ReadingChecked)  # no score from half a page
    # The app keeps working: Sidekick reads page 2 (the speaker is gone too: one notice),
    # then page 3 is a manual turn with no second microphone notice.
    run.wait_for(lambda es: [e for e in _of(es, ev.TurnStart) if e.page == 3], timeout=90)
    time.sleep(0.5)
    run.session.end_turn()
    run.wait_for(lambda es: len(_of(es, ev.TurnEnd)) == 3)
    texts = [n.text for n in _of(run.events, ev.Notice)]
    assert sum("microphone" in t for t in texts) == 1, texts
    assert sum("speaker" in t for t in texts) == 1, texts
    run.finish()


@pytest.mark.slow
def test_speaker_lost_mid_turn_goes_on_silently_and_loses_nothing(sound_devices) -> None:
    from sidekick.settings import Settings, Share
    from sidekick.turns import events as ev

    run = _Run(Settings(share=Share.SIDEKICK, voice="standard"))
    run.wait_for(lambda es: [e for e in _of(es, ev.CurrentWord) if e.index > 0])
    sound_devices.stop()  # in the middle of page 1
    notice = run.wait_for(lambda es: _of(es, ev.Notice), timeout=10)
    assert len(notice) == 1 and "speaker stopped working" in notice[0].text, notice
    (end,) = run.wait_for(lambda es: _of(es, ev.TurnEnd), timeout=60)
    assert end.page == 1 and end.words_read == end.words_total
    run.wait_for(lambda es: len(_of(es, ev.PageDone)) == 2, timeout=90)  # page 2, silently
    assert len(_of(run.events, ev.Notice)) == 1
    run.finish()


# -- the sound check -----------------------------------------------------------------------------


def _check_command(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sidekick", "check", *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.slow
def test_sidekick_check_hears_the_sentence_and_plays_the_test_sentence(
    sound_devices, speak_to_wav, tmp_path, transcribe
) -> None:
    from sidekick.sound_check import CHECK_SENTENCE, TEST_SENTENCE
    from tests.conftest import word_error_rate

    wav = speak_to_wav(CHECK_SENTENCE, tmp_path / "reader.wav")
    heard = tmp_path / "speaker.wav"
    recorder = sound_devices.record_speaker(heard)
    env = {**sound_devices.env, "SIDEKICK_HOME": os.environ["SIDEKICK_HOME"]}
    check = _check_command(env, "--voice", "standard", "--engine", "pocketsphinx")
    out = []
    assert check.stdout is not None
    for line in check.stdout:
        out.append(line)
        if "read now" in line:
            sound_devices.play_into_mic(wav)
    assert check.wait(timeout=120) == 0, "".join(out)
    recorder.terminate()
    recorder.wait(timeout=5)
    text = "".join(out)
    assert "default" in text and "microphone and speaker" in text  # the device list
    assert "The microphone works." in text
    followed = re.search(r"It followed (\d+) of the (\d+) words", text)
    assert followed and int(followed[1]) >= int(followed[2]) - 2, text
    assert "All good" in text and "Traceback" not in text
    assert word_error_rate(TEST_SENTENCE, transcribe(heard)) <= 0.2


def test_sidekick_check_says_what_is_missing(tmp_path) -> None:
    """No sound server: exit 1 and a plain reason for each device."""
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/none", "SIDEKICK_HOME": str(tmp_path)}
    check = _check_command(env)
    out, _ = check.communicate(timeout=60)
    if "(none)" not in out:
        pytest.skip("this computer has sound devices of its own")
    assert check.returncode == 1
    assert "No microphone:" in out and "No speaker:" in out and "Traceback" not in out


@pytest.mark.slow
@pilot_test
async def test_check_sound_screen_from_settings(sound_devices, speak_to_wav, tmp_path) -> None:
    from textual.widgets import ProgressBar, Select

    from sidekick.settings import Settings
    from sidekick.sound_check import CHECK_SENTENCE
    from sidekick.state import load_state
    from sidekick.ui.app import SidekickApp
    from sidekick.ui.screens.settings import SettingsScreen
    from sidekick.ui.screens.sound_check import SoundCheckScreen

    wav = speak_to_wav(CHECK_SENTENCE, tmp_path / "reader.wav")
    app = SidekickApp(Settings(engine="pocketsphinx", voice="standard"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(SettingsScreen(app.settings, app.voices))
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, SoundCheckScreen))
        screen = app.screen

        def text(selector: str) -> str:
            return str(screen.query_one(selector).render())

        assert "default" in text("#devices")
        await pilot.press("r")
        sound_devices.play_into_mic(wav)
        meter = screen.query_one("#meter", ProgressBar)
        peaks = [0.0]

        def done() -> bool:
            peaks.append(meter.progress)
            return "try again" in text("#mic-result") or "works" in text("#mic-result")

        await wait_for(pilot, done, timeout=60)
        assert max(peaks) > 40  # the meter moved while the sentence was read
        assert "The microphone works." in text("#mic-result"), text("#mic-result")
        await pilot.press("p")
        await wait_for(pilot, lambda: "Played" in text("#speaker-result"), timeout=60)
        # Choosing the devices: by name, used from now on and remembered across a restart.
        mics = [str(v) for _, v in screen.query_one("#mic-choice", Select)._options]
        speakers = [str(v) for _, v in screen.query_one("#speaker-choice", Select)._options]
        assert "pulse" in mics and "pulse" in speakers, (mics, speakers)
        screen.query_one("#mic-choice", Select).value = "pulse"
        screen.query_one("#speaker-choice", Select).value = "pulse"
        await pilot.pause()
        assert (app.settings.input_device, app.settings.output_device) == ("pulse", "pulse")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
    again = load_state().settings
    assert (again.input_device, again.output_device) == ("pulse", "pulse")


# -- in the app --------------------------------------------------------------------------------


@pytest.mark.slow
@pilot_test
async def test_app_follows_the_microphone_and_survives_losing_the_sound_system(
    sound_devices, speak_to_wav, tmp_path
) -> None:
    """The reader screen on the real devices: the child's page played into the microphone
    lights up live; then the sound system stops mid-turn: one notice, no error, the words
    already lit stay lit, Enter ends the turn and Sidekick's turn goes on on screen."""
    from sidekick.books.library import find_book
    from sidekick.settings import Settings, Share
    from sidekick.ui.app import SidekickApp
    from sidekick.ui.screens.reader import ReaderScreen

    book = find_book(BOOK)
    page = book.pages[0]
    wav = speak_to_wav(page.text, tmp_path / "child.wav", length_scale=1.3)
    settings = Settings(share=Share.TAKE_TURNS, engine="pocketsphinx", voice="standard")
    app = SidekickApp(settings, book)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ReaderScreen), timeout=30)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await wait_for(pilot, lambda: reader.banner.state == "child", timeout=30)
        sound_devices.play_into_mic(wav)
        await wait_for(pilot, lambda: len(reader.page_view.words("read")) >= 8, timeout=30)
        sound_devices.stop()
        await wait_for(pilot, lambda: "microphone stopped working" in text_of(app, "#notices"),
                       timeout=10)  # fmt: skip
        lit = reader.page_view.words("read")
        await pilot.pause(1.0)
        assert reader.running and reader.plan_bar.current == 1  # waits, as a manual turn
        assert reader.page_view.words("read")[: len(lit)] == lit  # nothing lost
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader.plan_bar.current == 2, timeout=30)
        assert 1 in reader.plan_bar.done
        notices = "\n".join(reader.notices)  # all of them (a short screen shows the latest)
        assert notices.count("microphone") == 1, notices
        assert "-error" not in reader.query_one("#notices").classes
        await wait_for(pilot, lambda: "speaker stopped working" in text_of(app, "#notices"),
                       timeout=30)  # fmt: skip
        await wait_for(pilot, lambda: reader.plan_bar.current == 3, timeout=120)
        assert reader.running
        await pilot.press("escape")


@pytest.mark.slow
def test_headless_run_stops_cleanly_when_the_microphone_is_lost(
    sound_devices, speak_to_wav, tmp_path
) -> None:
    """``sidekick read --child-audio mic``: the sound system stops mid-page; the page ends
    with the words heard so far, one notice, the run stops with no traceback."""
    import json

    from sidekick.books.library import find_book

    wav = speak_to_wav(find_book(BOOK).pages[0].text, tmp_path / "child.wav")
    env = {**sound_devices.env, "SIDEKICK_HOME": os.environ["SIDEKICK_HOME"]}
    run = subprocess.Popen(
        [sys.executable, "-m", "sidekick", "read", BOOK, "--child-audio", "mic",
         "--speaker-out", str(tmp_path / "out"), "--json", "--engine", "pocketsphinx",
         "--voice", "standard"],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert run.stdout is not None
    events, lit = [], 0
    for line in run.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "turn_start":
            sound_devices.play_into_mic(wav)
        lit += events[-1]["event"] == "word_read"
        if lit == 6 and events[-1]["event"] == "word_read":
            sound_devices.stop()
    assert run.wait(timeout=60) == 0
    stderr = run.stderr.read() if run.stderr else ""
    assert "Traceback" not in stderr, stderr
    notices = [e["text"] for e in events if e["event"] == "notice"]
    assert len(notices) == 1 and "microphone stopped working" in notices[0], notices
    (end,) = [e for e in events if e["event"] == "turn_end"]
    assert end["words_read"] >= 6

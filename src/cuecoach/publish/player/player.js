// The workout player: shows what the coach is saying now, driven by the cue
// script JSON next to the MP3. Plain JavaScript, no build step.
"use strict";

(() => {
  const main = document.getElementById("player");
  if (!main) return;
  const audio = document.getElementById("audio");
  const el = (id) => document.getElementById(id);
  const PHASES = {
    lead_in: "Get ready",
    work: "Go",
    switch: "Switch sides",
    rest: "Rest",
    transition: "Up next",
    finish: "Done",
  };
  let script = null;
  let chapters = [];
  let shown = "";
  let wakeLock = null;

  // "#t=95" or "#t=95.5": the moment to open at.
  function hashTime() {
    const match = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(location.hash);
    return match ? Number(match[1]) : null;
  }

  function clock(seconds) {
    const whole = Math.max(0, Math.ceil(seconds - 1e-6));
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  }

  // The segment playing at `t`: the last that starts at or before it.
  function segmentAt(t) {
    const segments = script.segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid].start <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  function describe(segment) {
    const parts = [segment.exercise];
    if (segment.set != null) parts.push(`set ${segment.set} of ${segment.sets}`);
    if (segment.side != null) parts.push(`side ${segment.side}`);
    return parts.join(" · ");
  }

  function show(t) {
    if (!script || !script.segments.length) return;
    const index = segmentAt(t);
    const segment = script.segments[index];
    const upcoming = script.segments.slice(index + 1).find((s) => s.kind === "work");
    const title = segment.kind === "finish" ? "Workout complete" : segment.exercise || "";
    el("phase").textContent = PHASES[segment.kind] || segment.kind;
    el("exercise").textContent = title;
    const set = segment.set != null ? `Set ${segment.set} of ${segment.sets}` : "";
    el("set").textContent = segment.amrap && set ? `${set} · max reps` : set;
    el("side").textContent = segment.side != null ? `Side ${segment.side} of 2` : "";
    el("load").textContent = segment.load || "";
    el("left").textContent = clock(segment.end - t);
    el("next").textContent = upcoming
      ? `Next: ${describe(upcoming)}`
      : segment.kind === "finish" ? "" : "Next: finish";
    main.dataset.kind = segment.kind;
    if (title !== shown) {
      shown = title;
      markChapter(t);
      setMetadata(title || script.title);
    }
  }

  function markChapter(t) {
    const items = el("chapters").children;
    chapters.forEach((chapter, i) => {
      const current = chapter.startTime <= t && t < chapter.endTime;
      items[i].toggleAttribute("aria-current", current);
    });
  }

  // The lock screen shows the current exercise as the title.
  function setMetadata(title) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    navigator.mediaSession.metadata = new MediaMetadata({
      title,
      artist: "cuecoach",
      album: main.dataset.album,
      artwork: [{ src: "cover.png", sizes: "1400x1400", type: "image/png" }],
    });
  }

  function jumpChapter(step) {
    const t = audio.currentTime;
    const index = chapters.findIndex((c) => c.startTime <= t && t < c.endTime);
    const target = chapters[Math.min(Math.max(index + step, 0), chapters.length - 1)];
    if (target) seek(target.startTime);
  }

  function seek(t) {
    audio.currentTime = t;
    show(t);
  }

  function buildChapters() {
    const list = el("chapters");
    list.replaceChildren(
      ...chapters.map((chapter) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = chapter.title;
        const at = document.createElement("span");
        at.className = "at";
        at.textContent = clock(chapter.startTime);
        button.append(name, at);
        button.addEventListener("click", () => seek(chapter.startTime));
        item.append(button);
        return item;
      }),
    );
  }

  // Keep the screen on while the workout plays; the browser drops the lock
  // when the page is hidden, so take it again when it comes back.
  async function holdScreen() {
    if (!("wakeLock" in navigator) || wakeLock || audio.paused) return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
    } catch (err) {
      wakeLock = null;
    }
  }

  function releaseScreen() {
    if (wakeLock) wakeLock.release();
    wakeLock = null;
  }

  function tick() {
    show(audio.currentTime);
    if (!audio.paused) requestAnimationFrame(tick);
  }

  function openAtHash() {
    const t = hashTime();
    if (t === null) return;
    show(t);
    if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) audio.currentTime = t;
    else audio.addEventListener("loadedmetadata", () => { audio.currentTime = t; }, { once: true });
  }

  audio.addEventListener("play", () => { holdScreen(); requestAnimationFrame(tick); });
  audio.addEventListener("pause", releaseScreen);
  audio.addEventListener("ended", releaseScreen);
  audio.addEventListener("seeked", () => show(audio.currentTime));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") holdScreen();
  });
  window.addEventListener("hashchange", openAtHash);
  if ("mediaSession" in navigator) {
    const actions = {
      play: () => audio.play(),
      pause: () => audio.pause(),
      previoustrack: () => jumpChapter(-1),
      nexttrack: () => jumpChapter(1),
      seekbackward: () => seek(Math.max(audio.currentTime - 10, 0)),
      seekforward: () => seek(audio.currentTime + 10),
    };
    for (const [action, handler] of Object.entries(actions)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch (err) {
        // An action this browser does not know: the others still work.
      }
    }
  }

  const load = (url) => fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.json();
  });
  Promise.all([load(main.dataset.cues), load(main.dataset.chapters)])
    .then(([cues, chapterFile]) => {
      script = cues;
      chapters = chapterFile.chapters;
      buildChapters();
      if (hashTime() === null) show(0);
      else openAtHash();
    })
    .catch((err) => {
      el("phase").textContent = `Cannot load the workout (${err.message})`;
    });
})();

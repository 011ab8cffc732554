// recording-player.js URL RECORDING_ID SESSION: Chromium's <video> plays a
// recording from amphi-control's media URL, signed in with the session
// cookie, as the organizer's browser would: a page on the control plane's
// own origin (served here by playwright, so the SameSite=Strict cookie goes
// with the media requests) holds <video src="/api/recordings/ID/media">.
// It plays a second, seeks (the player's Range requests), plays on, and
// prints one JSON line: {width, height, duration, frames, seeked, error,
// ranges} where ranges counts the media requests that carried a Range header.
const path = require('path');
const { chromium } = require('playwright-core');
const { say } = require(path.join(__dirname, 'chromium.js'));

const [url, id, session] = process.argv.slice(2);

(async () => {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--no-first-run',
			'--autoplay-policy=no-user-gesture-required'] });
	const context = await browser.newContext();
	await context.addCookies([{ name: 'amphi_session', value: session, url }]);
	const page = await context.newPage();
	let ranges = 0;
	page.on('request', (r) => {
		if (r.url().endsWith(`/api/recordings/${id}/media`) && r.headers()['range'])
			ranges++;
	});
	await page.route(`${url}/player-under-test`, (r) => r.fulfill({ contentType: 'text/html',
		body: `<html><body><video id="v" muted playsinline src="/api/recordings/${id}/media"></video></body></html>` }));
	await page.goto(`${url}/player-under-test`);
	const out = await page.evaluate(() => new Promise((resolve) => {
		const v = document.getElementById('v');
		let frames = 0, seeked = false;
		const count = () => { frames++; v.requestVideoFrameCallback(count); };
		const done = (error) => resolve({ width: v.videoWidth, height: v.videoHeight, duration: v.duration,
			frames, seeked, error });
		v.onerror = () => done(v.error ? `media error ${v.error.code}: ${v.error.message}` : 'media error');
		v.requestVideoFrameCallback(count);
		v.play().catch((e) => done(String(e)));
		const t0 = Date.now();
		const tick = () => {
			if (Date.now() - t0 > 20000)
				return done('timeout');
			if (!seeked && v.currentTime >= 1) {
				v.onseeked = () => { seeked = true; };
				v.currentTime = 2.5;
			}
			if (seeked && v.currentTime >= 3)
				return done(null);
			setTimeout(tick, 50);
		};
		tick();
	}));
	out.ranges = ranges;
	say(out);
	await browser.close();
})().catch((e) => { say({ error: String(e) }); process.exit(1); });

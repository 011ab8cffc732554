// chromium.js: how every test script starts its browser.  Headless Debian
// Chromium (never a downloaded one) through playwright-core, with the flags
// of FIELD-NOTES: fake camera and microphone, loopback ICE candidates, no
// background traffic.  The page is http://localhost/, served by playwright
// itself (no server process): getUserMedia needs a secure context and
// localhost counts as one.
const { chromium } = require('playwright-core');

const flags = ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
	'--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--no-first-run'];

// One JSON object per line on stdout: what the C or shell side of a test reads.
exports.say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

// A fresh browser (fresh profile) and one blank page on http://localhost/.
exports.openPage = async () => {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: flags });
	const page = await (await browser.newContext()).newPage();
	await page.route('http://localhost/', (r) => r.fulfill({ contentType: 'text/html', body: '<html></html>' }));
	await page.goto('http://localhost/');
	return { browser, page };
};

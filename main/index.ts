// The Electron shell: window, lifecycle, IPC. Thin by design; everything else is the master core.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, session, shell } from 'electron';
import { IPC_EVENT_CHANNEL } from './contract/operation-names.js';
import { createLogger } from './core/log.js';
import { Master } from './core/master.js';
import { registerDesktopDownloads } from './electron/desktop-downloads.js';
import { wireDesktopNotifications } from './electron/desktop-notifications.js';
import { appOrigins, type DesktopStreams, startDesktopStreams } from './electron/desktop-streams.js';
import { type IpcInvokeEvent, registerIpc } from './electron/ipc.js';
import { safeStorageBox } from './electron/safe-storage-box.js';

const log = createLogger();
let master: Master | null = null;
let window: BrowserWindow | null = null;

const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const here = dirname(fileURLToPath(import.meta.url));
const rendererFile = join(here, '../renderer/index.html');

function isAppUrl(url: string): boolean {
  return rendererUrl ? url.startsWith(rendererUrl) : url.startsWith('file://');
}

async function createWindow(): Promise<void> {
  window = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.once('ready-to-show', () => window?.show());
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (rendererUrl) await window.loadURL(rendererUrl);
  else await window.loadFile(rendererFile);
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  master = await Master.start({
    dataDir: join(app.getPath('userData'), 'master'),
    agentListen: { host: '0.0.0.0', port: 7443 },
    agentTls: true,
    legacySecretBox: safeStorageBox(safeStorage) ?? undefined,
    log,
  });
  const streams: DesktopStreams = await startDesktopStreams(master, log, appOrigins(rendererUrl));
  const isTrustedSender = (event: IpcInvokeEvent) =>
    event.sender.id === window?.webContents.id && isAppUrl(event.senderFrame?.url ?? '');
  registerIpc(ipcMain, master.handlers(), isTrustedSender, { base: streams.base, token: streams.token });
  registerDesktopDownloads(ipcMain, {
    master,
    isTrustedSender,
    downloadsDir: app.getPath('downloads'),
    showSaveDialog: (options) => (window ? dialog.showSaveDialog(window, options) : dialog.showSaveDialog(options)),
  });
  master.bus.subscribe((message) => window?.webContents.send(IPC_EVENT_CHANNEL, message));
  // An alert that starts firing while the app runs: a system notification; a click opens the Alerts screen.
  wireDesktopNotifications(
    master.bus,
    { isSupported: () => Notification.isSupported(), create: (options) => new Notification(options) },
    () => {
      if (!window) return;
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      void window.webContents.executeJavaScript("location.hash = '#alerts'");
    },
  );
  await createWindow();
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !master) return;
    event.preventDefault();
    quitting = true;
    void streams
      .stop()
      .then(() => master?.stop())
      .finally(() => app.quit());
  });
}

void main();

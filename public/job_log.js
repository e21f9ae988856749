// Streams a job's log lines and progress into its page with server-sent events (Transmit's
// protocol: one event stream per page, then a subscription to the job's channel). Falls back to
// polling the job's JSON endpoint when the stream cannot be opened.

const root = document.getElementById('job')
const logElement = root.querySelector('[data-job-log]')
const statusElement = root.querySelector('[data-job-status]')
const progressElement = root.querySelector('[data-job-progress]')
const errorElement = root.querySelector('[data-job-error]')
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content
const finalStatuses = ['succeeded', 'succeeded_with_warnings', 'failed', 'cancelled']
let lastEventId = Number(root.dataset.after || 0)

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = Number(bytes) || 0
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

function appendLog(at, level, message) {
  const time = new Date(at).toTimeString().slice(0, 8)
  logElement.textContent += `${time} ${level} ${message}\n`
  logElement.scrollTop = logElement.scrollHeight
}

function showProgress(progress) {
  if (!progress) return
  let text = `${progress.phase}: ${formatBytes(progress.bytesDone)}`
  if (progress.bytesTotal) text += ` of ${formatBytes(progress.bytesTotal)}`
  if (progress.filesDone !== undefined) text += `, ${progress.filesDone} files`
  progressElement.textContent = text
}

function showState(state) {
  statusElement.textContent = state.status.replaceAll('_', ' ')
  showProgress(state.progress)
  if (state.error) {
    errorElement.hidden = false
    errorElement.textContent = `${state.error.code}: ${state.error.message}`
  }
  if (finalStatuses.includes(state.status)) {
    // The page's actions (retry, download) depend on the final state.
    setTimeout(() => window.location.reload(), 1500)
  }
}

function handleMessage(payload) {
  if (payload.type === 'log') appendLog(payload.at, payload.level, payload.message)
  if (payload.type === 'progress') showProgress(payload.data)
  if (payload.type === 'state') showState(payload)
}

async function poll() {
  const response = await fetch(`/jobs/${root.dataset.jobId}/poll?after=${lastEventId}`)
  if (!response.ok) return
  const state = await response.json()
  for (const event of state.events) {
    lastEventId = Math.max(lastEventId, event.id)
    if (event.type === 'log') appendLog(event.at, event.level, event.message)
  }
  showState(state)
  if (!finalStatuses.includes(state.status)) setTimeout(poll, 2000)
}

function stream() {
  const uid = crypto.randomUUID()
  const source = new EventSource(`/__transmit/events?uid=${uid}`)
  source.onmessage = (event) => {
    const message = JSON.parse(event.data)
    if (message.channel === root.dataset.channel) handleMessage(message.payload)
  }
  source.onopen = async () => {
    const response = await fetch('/__transmit/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken ?? '' },
      body: JSON.stringify({ uid, channel: root.dataset.channel }),
    })
    if (!response.ok) {
      source.close()
      poll()
    }
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) poll()
  }
}

if (!finalStatuses.includes(statusElement.textContent.trim().replaceAll(' ', '_'))) {
  if (window.EventSource) stream()
  else poll()
}

// The child of the ipc suite: answers each batch of job frames with their result frames, as a
// worker host would, so the suite measures only what the IPC channel costs both processes.
process.on('message', (message) => {
  if (message === 'stop') return process.disconnect()
  process.send({
    link: message.link.map(([id, job]) => [
      id,
      {
        type: 'result',
        job_id: job.job_id,
        attempt: job.attempt,
        result: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'Hello, World!' },
        output: '',
      },
    ]),
  })
})

// nom AFNOR of each line of stdin by the npm package @etalab/normadresse (installed under the
// current directory's node_modules), one line out per line in; `!TypeError` where the package
// throws (a single word still longer than 32 characters after a pass).
const normalize = require(require.resolve('@etalab/normadresse', {paths: [process.cwd()]}))
const lines = require('fs').readFileSync(0, 'utf8').split('\n')
if (lines[lines.length - 1] === '') lines.pop()
const out = []
for (const line of lines) {
  try {
    out.push(normalize(line))
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    out.push('!TypeError')
  }
}
process.stdout.write(out.join('\n') + '\n')

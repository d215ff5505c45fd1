// bench/ajv-validate.js SCHEMA FILE - node + ajv (Debian node-ajv): write the lines of FILE valid under the JSON Schema SCHEMA, as they are.
const fs = require('fs'), readline = require('readline');
const Ajv = require(process.env.AJV || '/usr/share/nodejs/ajv');
const validate = new Ajv({ format: 'full' }).compile(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
const rl = readline.createInterface({ input: fs.createReadStream(process.argv[3]), crlfDelay: Infinity });
let out = [], n = 0;
rl.on('line', (l) => { if (validate(JSON.parse(l))) { out.push(l); if (++n % 4096 === 0) { process.stdout.write(out.join('\n') + '\n'); out = []; } } });
rl.on('close', () => { if (out.length) process.stdout.write(out.join('\n') + '\n'); });

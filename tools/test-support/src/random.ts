// the seeded generator of the conformance suite's random data, for the tests here too
export { pick, random } from 'factstore-conformance';

import FuzzDriver

FuzzDriver.run { data, count in
    FuzzDriver.verdict(RecordCheck.check(FuzzDriver.bytes(data, count)))
}

import FuzzDriver

FuzzDriver.run { data, count in
    FuzzDriver.verdict(IDLCheck.check(FuzzDriver.bytes(data, count)))
}
